package dev.baton.gateway.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;

/** HS256 test tokens. */
public final class Tokens {
  public static final String SECRET = "test-secret-test-secret-test-secret-0123";

  private Tokens() {}

  public static String hs256(String secret, String sub, Instant exp) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().expirationTime(Date.from(exp));
    if (sub != null) claims.subject(sub);
    return sign(secret, claims.build());
  }

  private static String sign(String secret, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  public static String bearer(String sub, Instant exp) {
    return "Bearer " + hs256(SECRET, sub, exp);
  }

  /** A token whose {@code chats} claim makes {@code sub} a member of {@code chats}. */
  public static String bearer(String sub, Instant exp, String... chats) {
    return "Bearer " + sign(SECRET, new JWTClaimsSet.Builder().expirationTime(Date.from(exp)).subject(sub)
        .claim("chats", java.util.List.of(chats)).build());
  }
}
