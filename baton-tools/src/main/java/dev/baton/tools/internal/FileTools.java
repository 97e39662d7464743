package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code workspace.read/write/append/list} (the session's own folder) and {@code shared.read/write/append/list}
 * (the folder every session shares). Paths are checked by {@link SafePaths}; each call locks its canonical path
 * (shared for read and list, exclusive for write and append), so concurrent appends never interleave and a
 * write is never seen half done.
 */
final class FileTools {
  enum Scope { WORKSPACE, SHARED }

  enum Op { READ, WRITE, APPEND, LIST }

  private FileTools() {}

  static List<Tool> all(CallRunner runner) {
    List<Tool> out = new java.util.ArrayList<>();
    for (Scope s : Scope.values()) for (Op op : Op.values()) out.add(new FileTool(s, op, runner));
    return out;
  }

  private record FileTool(Scope scope, Op op, CallRunner runner) implements Tool {
    @Override
    public String name() {
      return (scope == Scope.WORKSPACE ? "workspace." : "shared.") + op.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String description() {
      String where = scope == Scope.WORKSPACE ? "in this conversation's private workspace" : "in the folder shared by all conversations";
      return switch (op) {
        case READ -> "Reads a text file " + where + ".";
        case WRITE -> "Creates or replaces a text file " + where + ".";
        case APPEND -> "Appends text to a file " + where + " (creates it if missing).";
        case LIST -> "Lists a folder " + where + ".";
      };
    }

    @Override
    public String inputSchema() {
      String content = op == Op.WRITE || op == Op.APPEND ? ",\"content\":{\"type\":\"string\"}" : "";
      String required = op == Op.WRITE || op == Op.APPEND ? "[\"path\",\"content\"]" : op == Op.LIST ? "[]" : "[\"path\"]";
      return "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"description\":"
          + "\"relative path, '/'-separated\"}" + content + "},\"required\":" + required
          + ",\"additionalProperties\":false}";
    }

    private String rawPath(JsonNode args) {
      return op == Op.LIST ? Args.stringOr(args, "path", "") : Args.string(args, "path");
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      String canonical = SafePaths.canonical(rawPath(args));
      Access access = op == Op.READ || op == Op.LIST ? Access.SHARED : Access.EXCLUSIVE;
      String kind = scope == Scope.WORKSPACE ? "workspace" : "shared-file";
      String prefix = scope == Scope.WORKSPACE ? SafePaths.sessionFolder(runner.workspaceRoot(), ctx.turn().session()).getFileName() + "/" : "";
      return List.of(Resource.of(kind, prefix + canonical, access));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws IOException {
      String raw = rawPath(args);
      Path p = scope == Scope.WORKSPACE ? ctx.workspacePath(raw) : ctx.sharedPath(raw);
      ObjectNode out = ctx.json().objectNode().put("path", SafePaths.canonical(raw));
      switch (op) {
        case READ -> {
          try {
            if (Files.size(p) > Args.MAX_TEXT) throw new ToolException("too_large", "file is larger than 1 MiB");
            out.put("content", Files.readString(p, StandardCharsets.UTF_8));
          } catch (NoSuchFileException e) {
            throw new ToolException("not_found", "no file '" + SafePaths.canonical(raw) + "'");
          }
        }
        case WRITE -> {
          byte[] bytes = Args.string(args, "content").getBytes(StandardCharsets.UTF_8);
          Files.createDirectories(p.getParent());
          Path tmp = Files.createTempFile(p.getParent(), ".baton-", ".tmp");
          Files.write(tmp, bytes);
          Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          out.put("bytes", bytes.length);
        }
        case APPEND -> {
          byte[] bytes = Args.string(args, "content").getBytes(StandardCharsets.UTF_8);
          Files.createDirectories(p.getParent());
          try (SeekableByteChannel ch = Files.newByteChannel(p, Set.of(StandardOpenOption.CREATE,
              StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            out.put("bytes", bytes.length).put("size", ch.size());
          }
        }
        case LIST -> {
          ArrayNode entries = out.putArray("entries");
          if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            TreeSet<String> names = new TreeSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
              for (Path e : ds) {
                String n = e.getFileName().toString();
                if (n.startsWith(".baton-")) continue;
                names.add(Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? n + "/" : n);
              }
            }
            names.forEach(entries::add);
          }
        }
      }
      return out;
    }
  }
}
