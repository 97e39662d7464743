package dev.baton;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The key by which a message is admitted at most once (P2): {@code channel + platform message id}, or,
 * when the platform gives no id, a SHA-256 fingerprint of channel, sender, text and the sent-at time
 * bucketed by {@code dedup.fingerprint_bucket_ms}.
 */
public record DedupKey(String value) {

  public DedupKey {
    Objects.requireNonNull(value, "value");
  }

  public static DedupKey of(InboundMessage m, long fingerprintBucketMs) {
    if (!m.messageId().isEmpty()) {
      return new DedupKey(m.channel() + ":" + m.messageId());
    }
    long bucket = fingerprintBucketMs <= 0 ? m.sentAt().toEpochMilli()
        : Math.floorDiv(m.sentAt().toEpochMilli(), fingerprintBucketMs);
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {m.channel(), m.sender(), m.text(), Long.toString(bucket)}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) ':');
        sha.update(bytes);
      }
      return new DedupKey(m.channel() + ":fp:" + HexFormat.of().formatHex(sha.digest(), 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required on every JDK", e);
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
