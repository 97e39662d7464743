package dev.baton.cli.probe;

import dev.baton.Agent;
import dev.baton.ReplyStream;
import dev.baton.SessionState;
import dev.baton.Turn;
import dev.baton.config.BatonConfig;
import dev.baton.spi.AgentProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code agent.type: probe-streaming-context} (tests only): the {@code context} agent's answers, written as a
 * model writes them: each reply is a stream whose text comes in two parts 30 ms apart (the model's latency,
 * not a synchronization), so Baton's Slack channel shows it with {@code chat.startStream},
 * {@code chat.appendStream} and {@code chat.stopStream} under {@code streaming: native}.
 */
public final class ProbeSlackStreamingAgent implements AgentProvider, Agent {

  private static final Pattern NONCE = Pattern.compile("\\bpn[0-9a-z]{10}\\b");
  private static final String CODES_KEY = "context.codes";

  @Override
  public String type() {
    return "probe-streaming-context";
  }

  @Override
  public Agent create(BatonConfig config) {
    return this;
  }

  @Override
  public void onTurn(Turn turn) {
    SessionState state = turn.state();
    Optional<String> before = state.get(CODES_KEY);
    List<String> codes = new ArrayList<>();
    before.ifPresent(s -> {
      for (String c : s.split(" ")) if (!c.isEmpty()) codes.add(c);
    });
    List<String> replies = new ArrayList<>();
    for (Turn.Message m : turn.messages()) {
      Matcher matcher = NONCE.matcher(m.text());
      while (matcher.find()) codes.add(matcher.group());
      replies.add(codes.isEmpty() ? "codes:" : "codes: " + String.join(" ", codes));
    }
    if (!state.compareAndSet(CODES_KEY, before, String.join(" ", codes))) {
      throw new IllegalStateException("session state changed under the turn");
    }
    for (String r : replies) {
      ReplyStream stream = turn.openStream();
      int half = r.length() / 2;
      stream.append(r.substring(0, half));
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      stream.append(r.substring(half));
      stream.finish();
    }
  }
}
