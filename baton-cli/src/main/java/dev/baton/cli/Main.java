package dev.baton.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.baton.cli.demo.DemoCommand;
import java.io.PrintWriter;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton}: the command line. Each subcommand is its own class, listed in {@link #SUBCOMMANDS}; to add
 * one, write a picocli {@code @Command} class that implements
 * {@code Callable<Integer>} and add an instance here.
 *
 * <p>Errors reach users as one line without a stack trace (exit code 2 for bad usage, 1 for a failure).
 * Logging is logback, quiet by default (WARN); {@code --verbose} or {@code BATON_LOG_LEVEL} turn it up.
 */
@Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Baton: a concurrency-safe runtime for AI agents that serve many people at once.",
    footer = {"", "Docs: README.md and docs/ in the source tree."})
public final class Main implements Runnable {

  /** The subcommands, in the order {@code --help} lists them. */
  static List<Object> subcommands() {
    return List.of(new DemoCommand(), new ServeCommand(), new dev.baton.cli.probe.ProbeCommand(), new ConfigCommand(),
        new AotTrainingCommand());
  }

  @Option(names = {"-v", "--verbose"}, description = "Log at INFO (-vv: DEBUG) instead of WARN.",
      scope = CommandLine.ScopeType.INHERIT)
  void verbose(boolean[] flags) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(flags.length > 1 ? Level.DEBUG : Level.INFO);
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    for (Object sub : subcommands()) cl.addSubcommand(sub);
    cl.setExecutionExceptionHandler((ex, line, parse) -> {
      PrintWriter err = line.getErr();
      err.println("baton: " + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
      LoggerFactory.getLogger(Main.class).debug("command failed", ex);
      return 1;
    });
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
