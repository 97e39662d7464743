/**
 * The durable stores: {@link dev.baton.jdbc.SqliteStore} (one file, WAL, the default of {@code baton serve})
 * and {@link dev.baton.jdbc.PostgresStore} (several nodes on one database, leases with fencing tokens), both
 * one {@link dev.baton.jdbc.JdbcStore} with group commit. See {@code docs/storage.md}.
 */
@NullMarked
package dev.baton.jdbc;

import org.jspecify.annotations.NullMarked;
