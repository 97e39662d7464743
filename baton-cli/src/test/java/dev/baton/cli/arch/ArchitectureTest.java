package dev.baton.cli.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.Source;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/*
 * Overview
 *   The module boundaries of docs/architecture.md, enforced: a package whose name has an `internal` segment
 *   belongs to the module that holds it, and no other module's main code may use it (issue 14). The module
 *   of a class is the Maven module its class file came from (its `baton-<name>/target/` directory or jar),
 *   so a package split across modules cannot hide an import. baton-cli sees every other module, so the test
 *   lives here. JPMS module-info is not used: the shaded baton.jar merges every module into one class path
 *   jar, where qualified exports do not apply.
 *
 *   Also checked: every main package of every module is @NullMarked, so NullAway (OnlyNullMarked=true in the
 *   build) covers all of it, internal packages included.
 */
class ArchitectureTest {

  /** A module's classes: its target/ in the reactor, or its installed jar in a local repository. */
  private static final Pattern MODULE = Pattern.compile("/(baton-[a-z0-9]+)/target/|/dev/baton/(baton-[a-z0-9]+)/");

  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    // Main code only: not test classes, and not the test jars other modules share (baton-core's fixtures).
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("-tests.jar"))
        // The examples (the naive bot on the test class path) are not Baton modules.
        .withImportOption(location -> !location.contains("baton-example-") && !location.contains("/examples/"))
        .importPackages("dev.baton");
  }

  @Test
  void everyModuleIsOnTheClassPath() {
    Set<String> modules = new TreeSet<>();
    for (JavaClass c : main) modules.add(moduleOf(c));
    assertThat(modules).contains("baton-core", "baton-tools", "baton-jdbc", "baton-gateway", "baton-agents",
        "baton-cli");
  }

  @Test
  void noModuleUsesAnotherModulesInternalPackages() {
    assertThat(crossModuleInternal(main)).isEmpty();
  }

  @Test
  void aPlantedImportOfAnotherModulesInternalClassIsCaught() {
    // PlantedInternalImport is baton-cli code (test classes) holding the core's internal Engine.
    JavaClasses planted = new ClassFileImporter().importClasses(PlantedInternalImport.class,
        dev.baton.internal.engine.Engine.class);
    assertThat(crossModuleInternal(planted)).anySatisfy(v -> assertThat(v)
        .contains(PlantedInternalImport.class.getName()).contains("dev.baton.internal.engine.Engine"));
  }

  @Test
  void everyMainPackageIsNullMarked() {
    assertThat(notNullMarked(main)).isEmpty();
  }

  @Test
  void aPackageWithoutNullMarkedIsCaught() {
    JavaClasses unmarked = new ClassFileImporter().importClasses(PlantedInternalImport.class);
    assertThat(notNullMarked(unmarked)).containsExactly(PlantedInternalImport.class.getPackageName());
  }

  /** Each class that uses an internal class of another module, as "module: origin -> target [owner]". */
  static Set<String> crossModuleInternal(JavaClasses classes) {
    Set<String> violations = new TreeSet<>();
    for (JavaClass c : classes) {
      String from = moduleOf(c);
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        JavaClass target = d.getTargetClass().getBaseComponentType();
        if (!target.getPackageName().startsWith("dev.baton.") || !isInternal(target.getPackageName())) continue;
        String to = moduleOf(target);
        if (!to.equals(from)) violations.add(from + ": " + d.getOriginClass().getBaseComponentType().getName() + " -> "
            + target.getName() + " [internal to " + to + "]");
      }
    }
    return violations;
  }

  /** The packages among {@code classes} whose package-info is not annotated @NullMarked. */
  static Set<String> notNullMarked(JavaClasses classes) {
    Set<String> out = new TreeSet<>();
    for (JavaClass c : classes) {
      String pkg = c.getPackageName();
      Package p = c.reflect().getPackage();
      if (p == null || !p.isAnnotationPresent(NullMarked.class)) out.add(pkg);
    }
    return out;
  }

  private static boolean isInternal(String pkg) {
    return (pkg + ".").contains(".internal.");
  }

  private static String moduleOf(JavaClass c) {
    Optional<Source> source = c.getSource();
    String uri = source.map(s -> s.getUri().toString()).orElse("");
    Matcher m = MODULE.matcher(uri);
    if (!m.find()) throw new IllegalStateException("not from a baton module's target/: " + c.getName() + " " + uri);
    return m.group(1) != null ? m.group(1) : m.group(2);
  }
}
