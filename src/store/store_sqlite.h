/* store_sqlite.h - the schema functions store_sqlite.c uses (store_schema.c). */
#ifndef OMS_STORE_SQLITE_H
#define OMS_STORE_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>

/* The highest applied version, 0 for an empty schema_version, -1 if absent. */
int oms__schema_version(sqlite3 *db);

/* Brings db up to version target (each migration in its own transaction).
 * Returns 0, or OMS_ESTORE with a message in err (also for a database newer
 * than this build). */
int oms__schema_migrate(sqlite3 *db, int target, char *err, size_t errcap);

#endif /* OMS_STORE_SQLITE_H */
