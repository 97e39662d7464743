package dev.baton.gateway.internal;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.baton.config.ChannelsConfig.JwtConfig;
import dev.baton.spi.Scheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/*
 * Overview: verifies the bearer tokens of the message API with nimbus-jose-jwt: HS256 with a shared secret,
 * or RS256/ES256 with a PEM public key or a JWKS file. `sub` and `exp` are required; `exp`/`nbf` are judged
 * against the injected Scheduler's clock, so tests drive expiry exactly.
 * Verified tokens are cached (bounded, cleared when full) so a client's long-lived token costs one
 * signature check; a cached token is still refused once its exp passes on the Scheduler's clock.
 * Concurrency: immutable after construction apart from the ConcurrentHashMap cache; userOf() is thread-safe.
 * Failure: every failure is a 401 with a generic message; the token and the key never reach a message.
 */
final class JwtVerifier {

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final Scheduler scheduler;
  private final long skewSeconds;
  private final String chatsClaim;
  /** sessions.class_claim: the claim naming the session class; empty: none is read. */
  private final String classClaim;
  /** Tokens whose signature and claims were verified: a client reuses its token for many requests. */
  private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();
  static final int CACHE_LIMIT = 10_000;

  private record Verified(Principal principal, Instant exp, Instant nbf) {}

  /** Most chats one token may grant; a longer list is refused (401), not truncated. */
  static final int MAX_CHATS = 1000;

  /**
   * An authenticated API user: the token's {@code sub}, the chats its chats claim grants and the session
   * class its class claim names.
   *
   * @param user the {@code sub}
   * @param chats the chat ids the token makes the user a member of (may be empty)
   * @param sessionClass the class claim's value as the token has it (empty: no class claim configured, or the
   *     token has none, or it is not a short text); whether it names a class is the engine's business
   */
  public record Principal(String user, Set<String> chats, String sessionClass) {
    public Principal {
      chats = Set.copyOf(chats);
    }

    public Principal(String user, Set<String> chats) {
      this(user, chats, "");
    }
  }

  public JwtVerifier(JwtConfig cfg, Scheduler scheduler) {
    this(cfg, "", scheduler);
  }

  /** @param classClaim {@code sessions.class_claim}; empty: no class is read from tokens */
  public JwtVerifier(JwtConfig cfg, String classClaim, Scheduler scheduler) {
    this.classClaim = classClaim;
    this.scheduler = scheduler;
    this.skewSeconds = cfg.clockSkewSeconds();
    this.chatsClaim = cfg.chatsClaim();
    Set<JWSAlgorithm> algs;
    JWKSource<SecurityContext> keys;
    if (!cfg.hs256Secret().isEmpty()) {
      algs = Set.of(JWSAlgorithm.HS256);
      keys = new ImmutableSecret<>(cfg.hs256Secret().getBytes(StandardCharsets.UTF_8));
    } else if (!cfg.publicKeyFile().isEmpty()) {
      JWK jwk = fromPem(Path.of(cfg.publicKeyFile()));
      algs = Set.of(jwk instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256);
      keys = new ImmutableJWKSet<>(new JWKSet(jwk));
    } else if (!cfg.jwksFile().isEmpty()) {
      try {
        keys = new ImmutableJWKSet<>(JWKSet.load(Path.of(cfg.jwksFile()).toFile()));
      } catch (IOException | java.text.ParseException e) {
        throw new IllegalArgumentException("channels.api.jwt.jwks_file: cannot read a JWKS from "
            + cfg.jwksFile());
      }
      algs = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    } else {
      throw new IllegalArgumentException("channels.api is enabled but channels.api.jwt has no key: give "
          + "hs256_secret, public_key_file or jwks_file");
    }
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algs, keys));
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
    if (!cfg.issuer().isEmpty()) exact.issuer(cfg.issuer());
    Set<String> required = new HashSet<>(Set.of("sub", "exp"));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        cfg.audience().isEmpty() ? null : Set.of(cfg.audience()), exact.build(), required, Set.of()) {
      @Override
      protected Date currentTime() {
        return Date.from(scheduler.now());
      }
    };
    claims.setMaxClockSkew(cfg.clockSkewSeconds());
    processor.setJWTClaimsSetVerifier(claims);
  }

  /** Verifies {@code Authorization: Bearer <jwt>} and returns the authenticated user id ({@code sub}). */
  public String userOf(@Nullable String authorizationHeader) {
    return principalOf(authorizationHeader).user();
  }

  /** Verifies {@code Authorization: Bearer <jwt>} and returns the user and the chats the token grants. */
  public Principal principalOf(@Nullable String authorizationHeader) {
    if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw HttpError.unauthorized("missing bearer token");
    }
    String token = authorizationHeader.substring(7).trim();
    Verified hit = verified.get(token);
    if (hit != null) {
      // Same checks as the claims verifier, against the same clock: only the time may have moved.
      Instant now = scheduler.now();
      if (!now.isBefore(hit.exp().plusSeconds(skewSeconds)) || now.plusSeconds(skewSeconds).isBefore(hit.nbf())) {
        verified.remove(token);
        throw HttpError.unauthorized("invalid, expired or badly signed token");
      }
      return hit.principal();
    }
    try {
      JWTClaimsSet claims = processor.process(token, null);
      String sub = claims.getSubject();
      if (sub == null || sub.isBlank() || sub.length() > 256 || !JsonFields.wellFormed(sub)) {
        throw HttpError.unauthorized("token has no usable sub");
      }
      Principal principal = new Principal(sub, chats(claims), sessionClass(claims));
      if (verified.size() >= CACHE_LIMIT) verified.clear();
      Date nbf = claims.getNotBeforeTime();
      verified.put(token, new Verified(principal, claims.getExpirationTime().toInstant(),
          nbf == null ? Instant.MIN : nbf.toInstant()));
      return principal;
    } catch (HttpError e) {
      throw e;
    } catch (java.text.ParseException | com.nimbusds.jose.proc.BadJOSEException | com.nimbusds.jose.JOSEException
        | RuntimeException e) {
      throw HttpError.unauthorized("invalid, expired or badly signed token");
    }
  }

  /**
   * The class claim's value; anything but a short text is no class (empty), never a refusal: a token a user
   * obtained legitimately must not fail because of how an identity provider spells a tier.
   */
  private String sessionClass(JWTClaimsSet claims) {
    if (classClaim.isEmpty()) return "";
    Object v = claims.getClaim(classClaim);
    return v instanceof String s && !s.isEmpty() && s.length() <= 64 && JsonFields.wellFormed(s) ? s : "";
  }

  private Set<String> chats(JWTClaimsSet claims) {
    Object v = claims.getClaim(chatsClaim);
    if (v == null) return Set.of();
    if (!(v instanceof List<?> list) || list.size() > MAX_CHATS) {
      throw HttpError.unauthorized("token claim '" + chatsClaim + "' must be a list of at most 1000 chat ids");
    }
    Set<String> out = new HashSet<>();
    for (Object o : list) {
      if (!(o instanceof String chat) || chat.isEmpty() || chat.length() > ApiMessageParser.MAX_ID_LENGTH
          || !JsonFields.wellFormed(chat)) {
        throw HttpError.unauthorized("token claim '" + chatsClaim + "' must hold chat ids of 1 to 256 characters");
      }
      out.add(chat);
    }
    return out;
  }

  private static JWK fromPem(Path file) {
    String pem;
    try {
      pem = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("channels.api.jwt.public_key_file: cannot read " + file);
    }
    String b64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("channels.api.jwt.public_key_file: not a PEM public key: " + file);
    }
    for (String alg : new String[] {"RSA", "EC"}) {
      try {
        PublicKey key = KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
        if (key instanceof RSAPublicKey rsa) return new RSAKey.Builder(rsa).build();
        if (key instanceof ECPublicKey ec) return new ECKey.Builder(Curve.P_256, ec).build();
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("channels.api.jwt.public_key_file: not an RSA or EC P-256 public key: "
        + file);
  }
}
