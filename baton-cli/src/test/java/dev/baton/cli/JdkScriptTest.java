package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/jdk.sh}, which {@code ./baton} and {@code ./run-tests} use to find a JDK 25, against fake JDK
 * directories ({@code BATON_JVM_DIR} replaces {@code /usr/lib/jvm}).
 */
class JdkScriptTest {

  private static final Path SCRIPT = Path.of("..", "bin", "jdk.sh").toAbsolutePath().normalize();

  @TempDir Path jvm;

  record Result(int exit, String out, String err) {}

  private Path fakeJdk(String name, String version, boolean withJavac) throws IOException {
    Path home = jvm.resolve(name);
    Files.createDirectories(home.resolve("bin"));
    for (String tool : withJavac ? new String[] {"java", "javac"} : new String[] {"java"}) {
      Path p = home.resolve("bin").resolve(tool);
      Files.writeString(p, "#!/bin/sh\necho 'openjdk version \"" + version + "\"' >&2\n");
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
    return home;
  }

  private Result find(String javaHome) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", ". \"$1\"; baton_find_jdk && echo \"$JAVA_HOME\"", "x",
        SCRIPT.toString());
    Map<String, String> env = pb.environment();
    env.put("BATON_JVM_DIR", jvm.toString());
    if (javaHome == null) env.remove("JAVA_HOME");
    else env.put("JAVA_HOME", javaHome);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip(),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void javaHomeOfAnOldJdkIsPassedOverForTheNewestJdk25OrLater() throws Exception {
    Path old = fakeJdk("java-17-openjdk-amd64", "17.0.13", true);
    fakeJdk("temurin-25-jdk-amd64", "25.0.1", true);
    Path newest = fakeJdk("jdk-26", "26", true);
    fakeJdk("jre-27", "27", false); // a JRE cannot build Baton
    Result r = find(old.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo(newest.toString());
  }

  @Test
  void aJavaHomeOf25OrLaterIsKept() throws Exception {
    Path home = fakeJdk("my-25", "25.0.1", true);
    fakeJdk("jdk-26", "26", true);
    assertThat(find(home.toString()).out()).isEqualTo(home.toString());
  }

  @Test
  void withoutJavaHomeTheNewestUnderTheDirectoryIsUsed() throws Exception {
    Path jdk25 = fakeJdk("temurin-25-jdk-amd64", "25.0.1", true);
    fakeJdk("java-17-openjdk-amd64", "17.0.13", true);
    assertThat(find(null).out()).isEqualTo(jdk25.toString());
  }

  @Test
  void withNoJdk25TheMessageSaysWhatToInstall() throws Exception {
    Path old = fakeJdk("java-17-openjdk-amd64", "17.0.13", true);
    Result r = find(old.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("no JDK 25 or newer found", "which is Java 17", jvm.toString(),
        "apt-get install temurin-25-jdk", "set JAVA_HOME");
  }
}
