package dev.baton.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: Baton's version (filtered in by Maven) and the Java runtime it runs on. */
public final class VersionProvider implements IVersionProvider {

  static String version() {
    Properties p = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "baton " + version(),
      "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + ", "
          + System.getProperty("java.home", "?") + ")"
    };
  }
}
