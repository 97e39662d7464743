package dev.baton.cli;

import dev.baton.config.ConfigDocs;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code baton config check FILE} and {@code baton config keys}. */
@Command(name = "config", description = "Check a baton.yaml, or list every configuration key.",
    mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, subcommands = {ConfigCommand.Check.class, ConfigCommand.Keys.class})
public final class ConfigCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * Validates a file: prints {@code ok} (exit 0) or every error as {@code file:line:column: ...} (exit 1). A valid
   * file's {@link ChannelWarnings} (a platform channel configured but not enabled) go to stderr first.
   */
  @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
      description = "Validate FILE: print \"ok\" and exit 0, or print every error (file:line:column) and exit 1.")
  public static final class Check implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The baton.yaml to check.") Path file;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try {
        ConfigLoader.withSystemEnvironment().load(file);
        for (ConfigError w : ChannelWarnings.of(file)) spec.commandLine().getErr().println(ChannelWarnings.format(w));
        spec.commandLine().getOut().println("ok");
        return 0;
      } catch (ConfigException e) {
        PrintWriter err = spec.commandLine().getErr();
        for (ConfigError error : e.errors()) err.println(error);
        err.println(e.errors().size() == 1 ? "1 error" : e.errors().size() + " errors");
        return 1;
      }
    }
  }

  /** Prints the key table, or rewrites it inside a markdown file ({@code docs/configuration.md}). */
  @Command(name = "keys", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
      description = "Print the table of every key (type, default, meaning), or --write it into a markdown file.")
  public static final class Keys implements Callable<Integer> {
    @Option(names = "--write", paramLabel = "FILE",
        description = "Replace the generated table in FILE (e.g. docs/configuration.md).")
    Optional<Path> write = Optional.empty();

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      if (write.isEmpty()) {
        spec.commandLine().getOut().print(ConfigDocs.markdownTable());
        return 0;
      }
      Path f = write.get();
      String doc = Files.readString(f, StandardCharsets.UTF_8);
      Files.writeString(f, ConfigDocs.withTable(doc), StandardCharsets.UTF_8);
      spec.commandLine().getOut().println("updated the key table in " + f);
      return 0;
    }
  }
}
