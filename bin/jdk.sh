# Sourced by ./baton and ./run-tests. Finds a JDK >= 25 and exports JAVA_HOME.
# Order: JAVA_HOME if it is >= 25, else the newest JDK >= 25 under /usr/lib/jvm
# (BATON_JVM_DIR overrides that directory; the tests of these scripts point it at fake JDKs).

baton_java_major() { # $1 = java home; prints the feature version or nothing
  local rel="$1/release"
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

baton_find_jdk() {
  local need=25 best="" best_v=0 v d home_v="" dir="${BATON_JVM_DIR:-/usr/lib/jvm}"
  if [ -n "${JAVA_HOME:-}" ]; then
    home_v=$(baton_java_major "$JAVA_HOME")
    if [ -n "$home_v" ] && [ "$home_v" -ge "$need" ]; then return 0; fi
  fi
  for d in "$dir"/*; do
    [ -d "$d" ] || continue
    v=$(baton_java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge "$need" ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<MSG
baton: no JDK 25 or newer found (Baton needs Java 25).
  Looked at JAVA_HOME (${JAVA_HOME:-unset}${home_v:+, which is Java $home_v}) and $dir/*.
  Install a JDK 25, for example:
    apt-get install temurin-25-jdk        (from Adoptium's apt repository, https://adoptium.net/installation/linux/)
    or unpack a JDK 25 from https://adoptium.net and set JAVA_HOME to it.
MSG
    return 1
  fi
  export JAVA_HOME="$best"
}

baton_find_mvn() {
  if command -v mvn >/dev/null 2>&1; then MVN=mvn; return 0; fi
  echo "baton: Maven (mvn) not found. Install it: apt-get install maven" >&2
  return 1
}
