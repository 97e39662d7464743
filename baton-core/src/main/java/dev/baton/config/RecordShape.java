package dev.baton.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What the loader and the docs generator need to know of one config record: its keys (snake_case of the
 * components, in declaration order), their generic types and {@link Doc}s, its canonical constructor and its
 * {@code defaults()}. Computed once per class.
 */
final class RecordShape {

  /** One key of a config section. */
  record Key(String name, RecordComponent component, Type type, String doc) {}

  private static final ConcurrentHashMap<Class<?>, RecordShape> CACHE = new ConcurrentHashMap<>();

  final Class<?> type;
  final List<Key> keys;
  private final Constructor<?> constructor;
  private final @Nullable Object defaults;

  private RecordShape(Class<?> type) {
    this.type = type;
    RecordComponent[] comps = type.getRecordComponents();
    List<Key> k = new ArrayList<>(comps.length);
    for (RecordComponent c : comps) {
      Doc doc = c.getAnnotation(Doc.class);
      YamlName name = c.getAnnotation(YamlName.class);
      k.add(new Key(name == null ? Names.snake(c.getName()) : name.value(), c, c.getGenericType(),
          doc == null ? "" : doc.value()));
    }
    this.keys = List.copyOf(k);
    try {
      this.constructor = type.getDeclaredConstructor(
          Arrays.stream(comps).map(RecordComponent::getType).toArray(Class<?>[]::new));
      this.constructor.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("record without canonical constructor: " + type, e);
    }
    this.defaults = findDefaults(type);
  }

  static RecordShape of(Class<?> type) {
    if (!type.isRecord()) throw new IllegalArgumentException(type + " is not a record");
    return CACHE.computeIfAbsent(type, RecordShape::new);
  }

  /** The record's {@code static defaults()}, if it has one. */
  Optional<Object> defaults() {
    return Optional.ofNullable(defaults);
  }

  Optional<Key> key(String name) {
    return keys.stream().filter(k -> k.name.equals(name)).findFirst();
  }

  List<String> keyNames() {
    return keys.stream().map(Key::name).toList();
  }

  Object valueOf(Object instance, Key key) {
    try {
      Method m = key.component.getAccessor();
      m.setAccessible(true);
      return m.invoke(instance);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + key.name + " of " + type.getSimpleName(), e);
    }
  }

  /**
   * Calls the canonical constructor.
   *
   * @throws IllegalArgumentException (or another runtime exception) thrown by the compact constructor
   */
  Object construct(Object[] values) {
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot construct " + type.getSimpleName(), e);
    }
  }

  private static @Nullable Object findDefaults(Class<?> type) {
    try {
      Method m = type.getDeclaredMethod("defaults");
      if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != type) return null;
      m.setAccessible(true);
      return m.invoke(null);
    } catch (NoSuchMethodException e) {
      return null;
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException(type.getSimpleName() + ".defaults() failed", e);
    }
  }
}
