//! The audit log: every write and every read of personal data a service performs, with
//! the caller's key id and role, the RPC, the object and the outcome — never a secret.
//!
//! Each service keeps its own log in its own database (table `audit_events`, created at
//! open), written right after the action, and serves it to admins through
//! `pyred.v1.Audit/ListAuditEvents`; `pyred audit` merges the services' logs.

use pyred_proto::v1 as pb;
use pyred_runtime::db::{Database, Engine, now_micros, timestamp};
use sqlx::Row;
use tonic::Status;

use crate::caller::{Caller, Role};

const CREATE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    rpc TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL
)";
const CREATE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS audit_events (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    rpc TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL
)";

/// A service's audit log.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Database,
}

/// The gRPC name of a status code (`OK`, `NOT_FOUND`, …).
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

impl AuditLog {
    /// Opens the log in `db`, creating its table.
    pub async fn open(db: Database) -> Result<Self, sqlx::Error> {
        let create = match db.engine {
            Engine::Sqlite => CREATE_SQLITE,
            Engine::Postgres => CREATE_POSTGRES,
        };
        pyred_runtime::db::create_if_missing(&db, create).await?;
        Ok(Self { db })
    }

    /// Records that `caller` called `rpc` on `object` with `outcome`. A failure to record
    /// is logged, not returned: the action it describes has already happened.
    pub async fn record<T>(
        &self,
        caller: &Caller,
        rpc: &str,
        object: &str,
        outcome: &Result<T, Status>,
    ) {
        let code = match outcome {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        self.record_code(caller, rpc, object, code).await;
    }

    /// Records that `caller` called `rpc` on `object` and was answered `code`; a failure
    /// to record is logged, as in [`AuditLog::record`].
    pub async fn record_code(&self, caller: &Caller, rpc: &str, object: &str, code: tonic::Code) {
        if let Err(error) = self.insert(caller, rpc, object, code_name(code)).await {
            tracing::error!(%error, rpc, object, key_id = %caller.key_id, "cannot write the audit log");
        }
    }

    async fn insert(
        &self,
        caller: &Caller,
        rpc: &str,
        object: &str,
        outcome: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_events (at, key_id, role, rpc, object, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now_micros())
        .bind(&caller.key_id)
        .bind(caller.role.as_str())
        .bind(rpc)
        .bind(object)
        .bind(outcome)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Events, newest first, filtered as the request says.
    pub async fn list(
        &self,
        request: &pb::ListAuditEventsRequest,
    ) -> Result<Vec<pb::AuditEvent>, sqlx::Error> {
        let limit = match request.limit {
            n if n <= 0 => 100,
            n => i64::from(n.min(1000)),
        };
        let before = if request.before_seq > 0 {
            request.before_seq
        } else {
            i64::MAX
        };
        let prefix = format!(
            "{}%",
            request
                .object_prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT seq, at, key_id, role, rpc, object, outcome FROM audit_events \
             WHERE seq < $1 AND ($2 = '' OR key_id = $2) AND object LIKE $3 ESCAPE '\\' \
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(before)
        .bind(&request.key_id)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                Ok(pb::AuditEvent {
                    seq: row.try_get("seq")?,
                    at: Some(timestamp(row.try_get("at")?)),
                    key_id: row.try_get("key_id")?,
                    role: Role::parse(&role).map_or(0, |r| r.to_pb() as i32),
                    rpc: row.try_get("rpc")?,
                    object: row.try_get("object")?,
                    outcome: row.try_get("outcome")?,
                })
            })
            .collect()
    }
}
