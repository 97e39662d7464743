package dev.baton;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The key by which a message is admitted at most once (P2): {@code channel:id:sender:message id}, or, when the
 * platform gives no id, {@code channel:fp:sender:} and a SHA-256 fingerprint of channel, sender, text and the
 * sent-at time bucketed by {@code dedup.fingerprint_bucket_ms}. Sender and id are escaped as in
 * {@link SessionKey}, so the encoding is injective.
 *
 * <p>The key is namespaced by the <em>authenticated</em> sender on every channel. On the message API the id is
 * the client's own, so without the sender one user could claim another's ids in advance (the second user's
 * message would be a "duplicate"); platform ids are global already, and a platform redelivers a message with
 * the same sender, so the sender costs them nothing.
 */
public record DedupKey(String value) {

  public DedupKey {
    Objects.requireNonNull(value, "value");
  }

  public static DedupKey of(InboundMessage m, long fingerprintBucketMs) {
    if (!m.messageId().isEmpty()) {
      StringBuilder b = new StringBuilder(m.channel()).append(":id:");
      SessionKey.escape(m.sender(), b).append(':');
      return new DedupKey(SessionKey.escape(m.messageId(), b).toString());
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
      StringBuilder b = new StringBuilder(m.channel()).append(":fp:");
      SessionKey.escape(m.sender(), b).append(':');
      return new DedupKey(b.append(HexFormat.of().formatHex(sha.digest(), 0, 16)).toString());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required on every JDK", e);
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
