package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.Turn;
import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's library example, kept compiling and working (its code, with the prints turned into checks). */
class ReadmeExampleTest {

  @Test
  void libraryExampleRunsAsTheReadmeSays() throws Exception {
    LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    // --- README ---
    Agent counter = turn -> {
      for (Turn.Message m : turn.messages()) {
        long n = turn.state().get("count").map(Long::parseLong).orElse(0L) + 1;
        turn.state().put("count", Long.toString(n));
        turn.reply(m.text().toUpperCase() + " (message " + n + " from you)");
      }
    };
    try (Baton baton = Baton.builder()
        .agent(counter)
        .replies(replies::add)
        .build()) {
      Admission a = baton.submit(InboundMessage.of("api", "m-1", "alice", "hello", Instant.now()));
      String said = switch (a) {
        case Admission.Accepted ok -> "queued for " + ok.session();
        case Admission.Duplicate dup -> "seen before, ignored";
        case Admission.Busy busy -> "busy: " + busy.reply();
        case Admission.Rejected no -> "rejected: " + no.reason();
      };
      // --- end of README ---
      assertThat(said).isEqualTo("queued for api:u:alice");
      assertThat(baton.submit(InboundMessage.of("api", "m-1", "alice", "hello", Instant.now())))
          .isInstanceOf(Admission.Duplicate.class);
      assertThat(baton.submit(InboundMessage.of("api", "m-2", "alice", "again", Instant.now())))
          .isInstanceOf(Admission.Accepted.class);
      Reply first = replies.poll(10, TimeUnit.SECONDS);
      Reply second = replies.poll(10, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      assertThat(second).isNotNull();
      assertThat(first.chat()).isEqualTo("alice");
      assertThat(first.text()).isEqualTo("HELLO (message 1 from you)");
      assertThat(second.text()).isEqualTo("AGAIN (message 2 from you)");
    }
  }
}
