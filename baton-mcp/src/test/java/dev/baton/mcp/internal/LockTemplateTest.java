package dev.baton.mcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.McpConfig;
import dev.baton.tools.Access;
import dev.baton.tools.ToolException;
import org.junit.jupiter.api.Test;

/** Lock templates over arguments the model writes: spellings of one file are one lock; escapes are refused. */
class LockTemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String key(String lock, String root, String argsJson) throws Exception {
    return new LockTemplate(new McpConfig.LockRule("t", lock, McpConfig.LockAccess.EXCLUSIVE, root))
        .render(JSON.readTree(argsJson)).key();
  }

  private static String path(String value) throws Exception {
    return key("file:{path}", "", JSON.createObjectNode().put("path", value).toString());
  }

  @Test
  void spellingsOfOnePathAreOneLock() throws Exception {
    for (String p : new String[] {"b.txt", "./b.txt", "a/../b.txt", "a//..//b.txt", "b.txt/", ".\\b.txt",
        "ａ/../b.txt", "／b.txt".substring(1), "b．txt".replace("．", ".")}) {
      assertThat(path(p)).as(p).isEqualTo("file:b.txt");
    }
    assertThat(path("d/ｂ.txt")).isEqualTo("file:d/b.txt"); // fullwidth b: NFKC
    assertThat(path("d\\e.txt")).isEqualTo("file:d/e.txt");
  }

  @Test
  void aRootMakesAbsoluteAndRelativePathsOneLock() throws Exception {
    String args = "{\"path\":\"/srv/files/x/../b.txt\"}";
    assertThat(key("file:{path}", "/srv/files/", args)).isEqualTo("file:b.txt");
    assertThat(key("file:{path}", "/srv/files", "{\"path\":\"b.txt\"}")).isEqualTo("file:b.txt");
    assertThat(key("file:{path}", "/srv/files", "{\"path\":\"//srv//files/b.txt\"}")).isEqualTo("file:b.txt");
    assertThatThrownBy(() -> key("file:{path}", "/srv/files", "{\"path\":\"/srv/files2/b.txt\"}"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("rejected_path"));
    assertThatThrownBy(() -> key("file:{path}", "/srv/files", "{\"path\":\"/srv/files/../etc/passwd\"}"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("rejected_path"));
    // Without a root an absolute path keeps its leading slash: it is not the relative one.
    assertThat(path("/srv/b.txt")).isEqualTo("file:/srv/b.txt");
  }

  @Test
  void climbingOutAndPercentEncodingAreRefused() {
    for (String p : new String[] {"../b.txt", "a/../../b.txt", "%2e%2e/b.txt", "a%2Fb", "．．/b.txt"}) {
      assertThatThrownBy(() -> path(p)).as(p)
          .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("rejected_path"));
    }
  }

  @Test
  void exactPlaceholdersNumbersAndMissingArguments() throws Exception {
    assertThat(key("order:{=id}", "", "{\"id\":\"a/../b\"}")).isEqualTo("order:a/../b");
    assertThat(key("order:{=id}", "", "{\"id\":42}")).isEqualTo("order:42");
    assertThat(key("repo:{owner}/{name}", "", "{\"owner\":\"o\",\"name\":\"./n\"}")).isEqualTo("repo:o/n");
    assertThatThrownBy(() -> key("file:{path}", "", "{}"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("invalid_arguments"));
    assertThat(new LockTemplate(new McpConfig.LockRule("t", "f:{a}", McpConfig.LockAccess.SHARED, ""))
        .render(JSON.readTree("{\"a\":\"x\"}")).access()).isEqualTo(Access.SHARED);
  }

  @Test
  void theWholePathIsNormalisedOnceSoOneFileIsOneKey() throws Exception {
    assertThat(key("file:{dir}/{name}", "", "{\"dir\":\"\",\"name\":\"b\"}")).isEqualTo(path("b")).isEqualTo("file:b");
    assertThat(key("file:{dir}/{name}", "", "{\"dir\":\"a\",\"name\":\"/b\"}")).isEqualTo(path("a/b"));
    assertThat(key("file:{dir}/{name}", "/srv/files", "{\"dir\":\"/srv/files/a\",\"name\":\"b\"}"))
        .isEqualTo("file:a/b");
    assertThat(key("file:{dir}/{name}", "/srv/files", "{\"dir\":\"a\",\"name\":\"/srv/files/a/b\"}"))
        .isEqualTo("file:a/srv/files/a/b");
    assertThatThrownBy(() -> key("file:{dir}/{name}", "", "{\"dir\":\"a\",\"name\":\"../../x\"}"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("rejected_path"));
    assertThatThrownBy(() -> key("file:{path}", "", "{\"path\":[\"a\",\"b\"]}"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("invalid_arguments"));
  }

  @Test
  void fullwidthPercentEncodingIsRefusedAfterNfkc() {
    assertThatThrownBy(() -> path("％２ｅ％２ｅ/b"))
        .isInstanceOfSatisfying(ToolException.class, e -> assertThat(e.code()).isEqualTo("rejected_path"));
  }
}
