package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.config.ChannelsConfig.JwtConfig;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RS256/ES256 with a PEM public key or a JWKS file, HS256, and what each refuses. */
class JwtVerifierTest {

  final ManualScheduler clock = new ManualScheduler();
  @TempDir Path dir;

  String token(JWSAlgorithm alg, String kid, JWSSigner signer, String sub, Duration ttl) throws JOSEException {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(clock.now().plus(ttl)))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
    jwt.sign(signer);
    return "Bearer " + jwt.serialize();
  }

  static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  Path pem(KeyPair kp) throws Exception {
    Path f = Files.createTempFile(dir, "key", ".pem");
    Files.writeString(f, "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(kp.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n");
    return f;
  }

  static void refused(JwtVerifier v, String header) {
    assertThatThrownBy(() -> v.userOf(header)).isInstanceOfSatisfying(HttpError.class,
        e -> assertThat(e.status()).isEqualTo(401));
  }

  @Test
  void rs256WithAPemPublicKey() throws Exception {
    KeyPair kp = rsa();
    JwtVerifier v = new JwtVerifier(new JwtConfig("", pem(kp).toString(), "", "", "", 0, "chats"), clock);
    assertThat(v.userOf(token(JWSAlgorithm.RS256, null, new RSASSASigner(kp.getPrivate()), "ann",
        Duration.ofHours(1)))).isEqualTo("ann");
    refused(v, token(JWSAlgorithm.RS256, null, new RSASSASigner(rsa().getPrivate()), "ann", Duration.ofHours(1)));
    // algorithm confusion: an HS256 token "signed" with the public key's bytes
    refused(v, token(JWSAlgorithm.HS256, null, new MACSigner(kp.getPublic().getEncoded()), "ann",
        Duration.ofHours(1)));
    refused(v, token(JWSAlgorithm.RS256, null, new RSASSASigner(kp.getPrivate()), "ann", Duration.ofSeconds(-1)));
  }

  @Test
  void es256WithAPemPublicKey() throws Exception {
    KeyPair kp = ec();
    JwtVerifier v = new JwtVerifier(new JwtConfig("", pem(kp).toString(), "", "", "", 0, "chats"), clock);
    assertThat(v.userOf(token(JWSAlgorithm.ES256, null, new ECDSASigner((ECPrivateKey) kp.getPrivate()), "bo",
        Duration.ofHours(1)))).isEqualTo("bo");
    refused(v, token(JWSAlgorithm.ES256, null, new ECDSASigner((ECPrivateKey) ec().getPrivate()), "bo",
        Duration.ofHours(1)));
  }

  @Test
  void jwksFileChoosesTheKeyByKid() throws Exception {
    KeyPair r = rsa();
    KeyPair e = ec();
    JWKSet set = new JWKSet(java.util.List.of(
        new RSAKey.Builder((RSAPublicKey) r.getPublic()).keyID("r1").build(),
        new ECKey.Builder(Curve.P_256, (ECPublicKey) e.getPublic()).keyID("e1").build()));
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, set.toString());
    JwtVerifier v = new JwtVerifier(new JwtConfig("", "", jwks.toString(), "", "", 0, "chats"), clock);
    assertThat(v.userOf(token(JWSAlgorithm.RS256, "r1", new RSASSASigner((RSAPrivateKey) r.getPrivate()), "a",
        Duration.ofHours(1)))).isEqualTo("a");
    assertThat(v.userOf(token(JWSAlgorithm.ES256, "e1", new ECDSASigner((ECPrivateKey) e.getPrivate()), "b",
        Duration.ofHours(1)))).isEqualTo("b");
    refused(v, token(JWSAlgorithm.RS256, "r1", new RSASSASigner(rsa().getPrivate()), "a", Duration.ofHours(1)));
    refused(v, token(JWSAlgorithm.RS256, "unknown", new RSASSASigner((RSAPrivateKey) r.getPrivate()), "a",
        Duration.ofHours(1)));
  }

  @Test
  void issuerAndAudienceAreCheckedWhenConfigured() throws Exception {
    String secret = "0123456789abcdef0123456789abcdef";
    JwtVerifier v = new JwtVerifier(new JwtConfig(secret, "", "", "https://idp", "baton", 0, "chats"), clock);
    JWTClaimsSet ok = new JWTClaimsSet.Builder().subject("c").issuer("https://idp").audience("baton")
        .expirationTime(Date.from(clock.now().plusSeconds(60))).build();
    JWTClaimsSet wrongAud = new JWTClaimsSet.Builder().subject("c").issuer("https://idp").audience("other")
        .expirationTime(Date.from(clock.now().plusSeconds(60))).build();
    assertThat(v.userOf("Bearer " + sign(ok, secret))).isEqualTo("c");
    refused(v, "Bearer " + sign(wrongAud, secret));
  }

  static String sign(JWTClaimsSet claims, String secret) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(secret.getBytes()));
    return jwt.serialize();
  }

  @Test
  void anEnabledApiWithoutAKeyOrWithAnUnreadableFileIsAConfigError() {
    assertThatThrownBy(() -> new JwtVerifier(JwtConfig.defaults(), clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels.api.jwt");
    assertThatThrownBy(() -> new JwtVerifier(new JwtConfig("", dir.resolve("none.pem").toString(), "", "", "", 0, "chats"),
        clock)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("public_key_file");
    assertThatThrownBy(() -> JwtConfig.hs256("short")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
  }

  /** The chats claim grants memberships; a claim a client could abuse is refused whole, never truncated. */
  @Test
  void theChatsClaimIsReadAndAMalformedOneIsRefused() throws Exception {
    String secret = "0123456789abcdef0123456789abcdef";
    JwtVerifier v = new JwtVerifier(JwtConfig.hs256(secret), clock);
    MACSigner signer = new MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.function.Function<Object, String> withChats = chats -> {
      try {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("bob")
            .expirationTime(Date.from(clock.now().plus(Duration.ofHours(1)))).claim("chats", chats).build());
        jwt.sign(signer);
        return "Bearer " + jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    };
    assertThat(v.principalOf(withChats.apply(java.util.List.of("general", "team-7"))).chats())
        .containsExactlyInAnyOrder("general", "team-7");
    java.util.List<String> tooMany = java.util.stream.IntStream.range(0, 1001).mapToObj(i -> "c" + i).toList();
    for (Object bad : new Object[] {"general", java.util.List.of(7), java.util.List.of(""), tooMany,
        java.util.List.of("a\u0000b"), java.util.List.of("x".repeat(257))}) {
      assertThatThrownBy(() -> v.principalOf(withChats.apply(bad))).as(String.valueOf(bad).substring(0,
          Math.min(40, String.valueOf(bad).length()))).isInstanceOf(HttpError.class)
          .satisfies(e -> assertThat(((HttpError) e).status()).isEqualTo(401));
    }
  }

  /**
   * sessions.class_claim: the claim's text reaches the engine in the message's routing; a claim of another
   * type is no class, never a 401; and no request body can put a class in routing (the parser builds it).
   */
  @Test
  void theClassClaimReachesRoutingAndNothingElseDoes() throws Exception {
    String secret = "0123456789abcdef0123456789abcdef";
    JwtVerifier v = new JwtVerifier(JwtConfig.hs256(secret), "tier", clock);
    MACSigner signer = new MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.function.Function<Object, String> withTier = tier -> {
      try {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject("bob")
            .expirationTime(Date.from(clock.now().plus(Duration.ofHours(1))));
        if (tier != null) b.claim("tier", tier);
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
        jwt.sign(signer);
        return "Bearer " + jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    };
    JwtVerifier.Principal gold = v.principalOf(withTier.apply("gold"));
    assertThat(gold.sessionClass()).isEqualTo("gold");
    for (Object odd : new Object[] {7, java.util.List.of("gold"), "", "x".repeat(65)}) {
      assertThat(v.principalOf(withTier.apply(odd)).sessionClass()).as(String.valueOf(odd)).isEmpty();
    }
    assertThat(v.principalOf(withTier.apply(null)).sessionClass()).isEmpty();
    assertThat(new JwtVerifier(JwtConfig.hs256(secret), clock).principalOf(withTier.apply("gold")).sessionClass())
        .as("no class_claim configured").isEmpty();

    byte[] lying = "{\"id\":\"m1\",\"text\":\"hi\",\"routing\":{\"baton.class\":\"gold\"}}"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    dev.baton.InboundMessage parsed;
    try {
      parsed = ApiMessageParser.parse(lying, "bob", clock.now());
    } catch (HttpError refused) {
      return; // a body with fields the API does not know is refused outright: nothing reaches routing either
    }
    JwtVerifier.Principal noClaim = v.principalOf(withTier.apply(null));
    assertThat(MessageApi.withClass(parsed, noClaim).routing()).doesNotContainKey(dev.baton.InboundMessage.ROUTE_CLASS);
    assertThat(MessageApi.withClass(parsed, gold).routing()).containsEntry(dev.baton.InboundMessage.ROUTE_CLASS, "gold");
  }
}
