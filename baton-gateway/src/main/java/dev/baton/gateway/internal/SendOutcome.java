package dev.baton.gateway.internal;

import java.time.Duration;
import java.util.Optional;

/** The result of one attempt to hand a reply to a platform. */
sealed interface SendOutcome {

  /** The platform took it. */
  record Delivered() implements SendOutcome {}

  /** A transient failure (5xx, 429, network): try again, after {@code retryAfter} if the platform said. */
  record Retry(String why, Optional<Duration> retryAfter) implements SendOutcome {}

  /** A permanent failure (4xx other than 429): trying again cannot help. */
  record Failed(String why) implements SendOutcome {}

  SendOutcome DELIVERED = new Delivered();
}
