-- Export jobs (issue 3). A job is claimed by one worker under a lease (lease_owner until
-- lease_expires_at, microseconds); a job running under an expired lease is claimed again.
-- team_ids is the requester's team scope as a JSON array, NULL when it covers every team.

CREATE TABLE export_jobs (
    id                 {{ID}},
    spec               TEXT NOT NULL,
    type               TEXT NOT NULL,
    format             TEXT NOT NULL,
    requester          TEXT NOT NULL,
    requester_kind     TEXT NOT NULL,
    requester_user_id  BIGINT,
    requester_key_id   BIGINT,
    role               TEXT NOT NULL,
    team_ids           TEXT,
    source_ip          TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    population         BIGINT NOT NULL DEFAULT 0,
    rows_written       BIGINT NOT NULL DEFAULT 0,
    bytes              BIGINT NOT NULL DEFAULT 0,
    sha256             TEXT NOT NULL DEFAULT '',
    error              TEXT NOT NULL DEFAULT '',
    artifact           TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT,
    lease_owner        TEXT NOT NULL DEFAULT '',
    lease_expires_at   BIGINT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    notify_status      TEXT NOT NULL DEFAULT '',
    notify_error       TEXT NOT NULL DEFAULT ''
);
-- The claim query: oldest queued, or running with an expired lease.
CREATE INDEX export_jobs_status_created ON export_jobs (status, created_at, id);
-- The per-requester concurrency limit and "my exports".
CREATE INDEX export_jobs_requester ON export_jobs (requester, status);

-- Exports of team-restricted callers read escalations and audit entries of their teams
-- within a period.
CREATE INDEX escalations_team_time ON escalations (team_id, opened_at);
CREATE INDEX audit_entries_team_time ON audit_entries (team_id, at);
