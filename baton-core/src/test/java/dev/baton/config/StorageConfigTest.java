package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
