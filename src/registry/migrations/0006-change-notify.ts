import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** The PostgreSQL channel every audited registry change is announced on (payload: the audit seq). */
export const CHANGE_CHANNEL = "lakay_changes";

/**
 * Change propagation between serving replicas (PostgreSQL only). Every state change — promotion,
 * rollback, alias move, routing, ML switch, scoring config — writes an `audit_log` row in its own
 * transaction, and `lakay serve` already watches that chain's last sequence number. A trigger on
 * the row's insert issues `pg_notify` inside the same transaction, so PostgreSQL delivers it to the
 * listening replicas only once the change is committed (and never for a rolled-back one), whichever
 * process made it: any replica's API or the CLI. SQLite has no NOTIFY: it keeps polling.
 */
export const changeNotify: Migration = {
  version: 6,
  name: "change-notify",
  async up({ db, dialect }) {
    if (dialect !== "postgresql") return;
    await sql
      .raw(
        `CREATE FUNCTION lakay_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${CHANGE_CHANNEL}', NEW.seq::text);
  RETURN NULL;
END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER audit_log_notify_change AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION lakay_notify_change()`,
      )
      .execute(db);
  },
};
