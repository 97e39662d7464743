package dev.baton.gateway.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Request signature checks of the platforms, all with the JDK's own crypto, compared in constant time. */
final class Signatures {

  private Signatures() {}

  public static byte[] hmacSha256(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] p : parts) mac.update(p);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required on every JDK", e);
    }
  }

  /** Constant-time comparison of two strings (as UTF-8 bytes). */
  public static boolean equal(String expected, String given) {
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code hexSignature} is a valid lowercase-or-uppercase hex HMAC of the parts. */
  public static boolean hmacHexMatches(String secret, String hexSignature, byte[]... parts) {
    byte[] given;
    try {
      given = HexFormat.of().parseHex(hexSignature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(hmacSha256(secret.getBytes(StandardCharsets.UTF_8), parts), given);
  }

  /** An Ed25519 public key from its raw 32 bytes in hex (as Discord shows it). */
  public static PublicKey ed25519PublicKey(String hex) {
    byte[] raw = HexFormat.of().parseHex(hex);
    if (raw.length != 32) throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
    // SubjectPublicKeyInfo prefix for id-Ed25519 (RFC 8410) followed by the raw key.
    byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100" + hex);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key");
    }
  }

  public static boolean ed25519Verifies(PublicKey key, String hexSignature, byte[]... parts) {
    try {
      byte[] sig = HexFormat.of().parseHex(hexSignature);
      if (sig.length != 64) return false;
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(key);
      for (byte[] p : parts) v.update(p);
      return v.verify(sig);
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return false;
    }
  }
}
