package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StorageConfigTest {

  @Test
  void defaultsAreMemoryWithSaneLimits() {
    StorageConfig d = StorageConfig.defaults();
    assertThat(d.backend()).isEqualTo(StorageConfig.Backend.MEMORY);
    assertThat(d.poolSize()).isPositive();
    assertThat(d.groupCommitMaxBatch()).isPositive();
    assertThat(d.leaseTtlMs()).isEqualTo(30_000);
  }

  @Test
  void impossibleValuesAreRefusedWithTheKeyAndWhatIsAllowed() {
    assertThatThrownBy(() -> StorageConfig.sqlite("x.db").withPoolSize(0))
        .hasMessage("pool_size must be a positive number, was 0");
    assertThatThrownBy(() -> StorageConfig.sqlite("x.db").withGroupCommit(0, 0))
        .hasMessageContaining("group_commit_max_batch");
    assertThatThrownBy(() -> StorageConfig.sqlite("x.db").withGroupCommit(10, -1))
        .hasMessageContaining("group_commit_max_delay_us must be 0 or more");
    assertThatThrownBy(() -> StorageConfig.sqlite(" ")).hasMessageContaining("path must name the SQLite database");
    assertThatThrownBy(() -> StorageConfig.postgres("jdbc:mysql://x/y", "u", "p"))
        .hasMessageContaining("url must be a PostgreSQL JDBC URL");
    assertThatThrownBy(() -> StorageConfig.sqlite("x.db").withWriters(0)).hasMessageContaining("writers");
  }

  @Test
  void thePasswordNeverAppearsInToString() {
    StorageConfig c = StorageConfig.postgres("jdbc:postgresql://db:5432/baton", "baton", "s3cr3t-value");
    assertThat(c.toString()).doesNotContain("s3cr3t-value").contains("password=***").contains("user=baton");
    assertThat(c.password()).isEqualTo("s3cr3t-value");
  }

  @Test
  void aPostgresStorageSectionLoadsFromYamlWithThePasswordFromTheEnvironment() {
    ConfigLoader loader = new ConfigLoader(Map.of("PG_PASSWORD", "pg-s3cr3t"));
    BatonConfig c = loader.parse("""
        storage:
          backend: postgres
          url: jdbc:postgresql://db:5432/baton
          user: baton
          password: ${PG_PASSWORD}
          pool_size: 4
          writers: 3
          lease_ttl_ms: 10000
        """, "baton.yaml");
    StorageConfig s = c.storage();
    assertThat(s.backend()).isEqualTo(StorageConfig.Backend.POSTGRES);
    assertThat(s.password()).isEqualTo("pg-s3cr3t");
    assertThat(List.of(s.poolSize(), s.writers())).containsExactly(4, 3);
    assertThat(s.leaseTtlMs()).isEqualTo(10_000);
    assertThat(c.toString()).doesNotContain("pg-s3cr3t");
  }

  @Test
  void postgresWithoutAUrlIsAConfigErrorAtTheSection() {
    ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(Map.of()).parse("storage:\n  backend: postgres\n", "baton.yaml"));
    assertThat(e.errors()).hasSize(1);
    assertThat(e.errors().getFirst().toString()).contains("baton.yaml").contains("PostgreSQL JDBC URL");
  }
}
