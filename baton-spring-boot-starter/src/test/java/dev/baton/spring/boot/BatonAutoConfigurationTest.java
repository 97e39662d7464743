package dev.baton.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import dev.baton.gateway.Gateway;
import dev.baton.spi.Store;
import dev.baton.tools.BatonTools;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.ClassPathResource;

class BatonAutoConfigurationTest {

  private static ApplicationContextInitializer<ConfigurableApplicationContext> yaml(String path) {
    return ctx -> {
      try {
        new YamlPropertySourceLoader().load("test yaml " + path, new ClassPathResource(path))
            .forEach(ctx.getEnvironment().getPropertySources()::addLast);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(BatonAutoConfiguration.class));

  /** The same keys under baton: of application.yaml, without it in baton.yaml. */
  private static String asBatonYaml(String path) throws IOException {
    String text = new ClassPathResource(path).getContentAsString(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder();
    boolean in = false;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("baton:")) { in = true; out.append('\n'); continue; }
      if (!line.startsWith(" ") && !line.isBlank()) in = false;
      out.append(in && line.startsWith("  ") ? line.substring(2) : "").append('\n');
    }
    return out.toString();
  }

  @Test
  void theGuidesSnippetUnderBatonBindsAsBatonYamlDoes() throws IOException {
    BatonConfig expected = new ConfigLoader(Map.of()).parse(asBatonYaml("guide/application.yaml"), "baton.yaml");
    runner.withInitializer(yaml("guide/application.yaml")).run(ctx -> {
      assertThat(ctx).hasNotFailed();
      BatonConfig cfg = ctx.getBean(BatonConfig.class);
      assertThat(cfg).isEqualTo(expected);
      assertThat(cfg.agent().concurrency().maxConcurrentTotal()).isEqualTo(50);
      assertThat(cfg.server().shutdownDrainMs()).isEqualTo(20000);
      assertThat(cfg.tools().askPeers()).containsKeys("billing", "support");
      assertThat(cfg).isNotEqualTo(BatonConfig.defaults().withStorage(cfg.storage()).withServer(cfg.server()));
    });
  }

  @Test
  void aCommandLineStylePropertyOverridesTheYamlValue() {
    runner.withInitializer(yaml("guide/application.yaml"))
        .withPropertyValues("baton.agent.concurrency.max_concurrent_total=7").run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(BatonConfig.class).agent().concurrency().maxConcurrentTotal()).isEqualTo(7);
        });
  }

  @Test
  void badValuesFailTheStartWithBatonsMessagesAtTheApplicationYamlLine() throws IOException {
    List<ConfigError> expected;
    try {
      new ConfigLoader(Map.of()).parse(asBatonYaml("bad/application.yaml"), "baton.yaml");
      throw new AssertionError("baton.yaml should not bind");
    } catch (ConfigException e) {
      expected = e.errors();
    }
    assertThat(expected).hasSize(2);
    List<ConfigError> want = expected;
    runner.withInitializer(yaml("bad/application.yaml")).run(ctx -> {
      assertThat(ctx).hasFailed();
      Throwable t = ctx.getStartupFailure();
      while (t != null && !(t instanceof ConfigException)) t = t.getCause();
      assertThat(t).isInstanceOf(ConfigException.class);
      List<ConfigError> got = ((ConfigException) t).errors();
      assertThat(got).extracting(ConfigError::message).containsExactlyElementsOf(want.stream().map(ConfigError::message).toList());
      assertThat(got).extracting(ConfigError::file).containsOnly("bad/application.yaml");
      assertThat(got).extracting(ConfigError::line).containsExactly(5, 6); // the lines in application.yaml
      assertThat(got.get(0).toString()).startsWith("bad/application.yaml:5:")
          .contains("did you mean `max_concurrent_total`?");
      var analysis = new BatonConfigFailureAnalyzer().analyze(ctx.getStartupFailure());
      assertThat(analysis).isNotNull();
      assertThat(analysis.getDescription()).contains(got.get(0).toString()).contains(got.get(1).toString());
    });
  }

  @Test
  void beansMetersHealthAndTheAgentBean() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CountDownLatch answered = new CountDownLatch(1);
    Agent agent = turn -> {
      turn.reply("hi " + turn.messages().getFirst().text());
      answered.countDown();
    };
    runner.withInitializer(yaml("guide/application.yaml"))
        .withBean(MeterRegistry.class, () -> registry).withBean(Agent.class, () -> agent).run(ctx -> {
          assertThat(ctx).hasNotFailed().hasSingleBean(Baton.class).hasSingleBean(Store.class)
              .hasSingleBean(BatonTools.class).hasSingleBean(BatonRuntime.class)
              .hasSingleBean(BatonHealthIndicator.class).hasSingleBean(BatonEndpoint.class);
          BatonRuntime rt = ctx.getBean(BatonRuntime.class);
          assertThat(rt.isRunning()).isTrue();
          assertThat(rt.port()).isPositive();
          ctx.getBean(Baton.class).submit(InboundMessage.of("api", "m-1", "alice", "there", Instant.now()));
          assertThat(answered.await(10, TimeUnit.SECONDS)).isTrue();
          assertThat(registry.getMeters()).extracting(m -> m.getId().getName()).anyMatch(n -> n.startsWith("baton."));
          assertThat(ctx.getBean(BatonHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
          Map<String, Object> views = ctx.getBean(BatonEndpoint.class).views();
          assertThat(views).containsKeys("engine", "store", "wait-for-graph", "deadlocks", "draining");
        });
  }

  @Test
  void closingTheContextDrainsTheRunningTurnAndHealthGoesDownMeanwhile() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean finished = new AtomicBoolean();
    Agent agent = turn -> {
      started.countDown();
      release.await();
      turn.reply("done");
      finished.set(true);
    };
    runner.withInitializer(yaml("guide/application.yaml")).withBean(Agent.class, () -> agent).run(ctx -> {
      BatonRuntime rt = ctx.getBean(BatonRuntime.class);
      BatonHealthIndicator health = ctx.getBean(BatonHealthIndicator.class);
      ctx.getBean(Baton.class).submit(InboundMessage.of("api", "m-1", "alice", "work", Instant.now()));
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(ctx::close);
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!rt.draining() && System.nanoTime() < until) Thread.onSpinWait();
      assertThat(rt.draining()).isTrue();
      assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.health().getDetails()).containsEntry("draining", true);
      assertThat(closing).isNotDone(); // the close waits for the running turn
      release.countDown();
      closing.get(15, TimeUnit.SECONDS);
      assertThat(finished).isTrue();
      assertThat(rt.drainedInTime()).isTrue();
      assertThat(rt.isRunning()).isFalse();
    });
  }

  @SuppressWarnings("unused")
  private static Class<?> gatewayOnClasspath() {
    return Gateway.class;
  }
}
