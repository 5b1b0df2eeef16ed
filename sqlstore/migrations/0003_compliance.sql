-- Rollups for policy compliance status and the compliance score, and the daily score
-- history. The rollups are written by InsertEvents and InsertHeartbeats in the same
-- transaction as the rows they count, so they always equal a count of the raw rows.
-- hour, day and month are the UTC hour, day or calendar month the rows fall in, as the
-- microseconds since the epoch of its start.

-- Decision events by hour, team, gateway and severity: how many, how many were evaluated
-- by at least one policy (policies_evaluated >= 1), how many were blocked and escalated.
-- The same by UTC day and by UTC calendar month: a quarter reads three months of rows.
CREATE TABLE compliance_event_hours (
    hour        BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    severity    TEXT NOT NULL,
    requests    BIGINT NOT NULL,
    enforced    BIGINT NOT NULL,
    blocked     BIGINT NOT NULL,
    escalated   BIGINT NOT NULL,
    PRIMARY KEY (hour, team_id, gateway_id, severity)
);

CREATE TABLE compliance_event_days (
    day         BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    severity    TEXT NOT NULL,
    requests    BIGINT NOT NULL,
    enforced    BIGINT NOT NULL,
    blocked     BIGINT NOT NULL,
    escalated   BIGINT NOT NULL,
    PRIMARY KEY (day, team_id, gateway_id, severity)
);

CREATE TABLE compliance_event_months (
    month       BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    severity    TEXT NOT NULL,
    requests    BIGINT NOT NULL,
    enforced    BIGINT NOT NULL,
    blocked     BIGINT NOT NULL,
    escalated   BIGINT NOT NULL,
    PRIMARY KEY (month, team_id, gateway_id, severity)
);

-- Decision events that matched each rule, by hour, day and month.
CREATE TABLE compliance_rule_hours (
    hour        BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    matches     BIGINT NOT NULL,
    PRIMARY KEY (hour, team_id, gateway_id, rule)
);

CREATE TABLE compliance_rule_days (
    day         BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    matches     BIGINT NOT NULL,
    PRIMARY KEY (day, team_id, gateway_id, rule)
);

CREATE TABLE compliance_rule_months (
    month       BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    matches     BIGINT NOT NULL,
    PRIMARY KEY (month, team_id, gateway_id, rule)
);

-- Gateway activity: the hours in which a gateway stored a decision event or a heartbeat.
CREATE TABLE compliance_gateway_hours (
    hour        BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    heartbeats  BIGINT NOT NULL,
    PRIMARY KEY (hour, gateway_id)
);
CREATE INDEX compliance_gateway_hours_gateway ON compliance_gateway_hours (gateway_id, hour);

-- Whether rows stored before this migration still have to be rolled up (done once, by
-- RebuildComplianceRollups, on the first compliance read).
CREATE TABLE compliance_rollup_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    rebuild_pending  BOOLEAN NOT NULL
);
INSERT INTO compliance_rollup_state (id, rebuild_pending)
SELECT 1, (EXISTS (SELECT 1 FROM decision_events) OR EXISTS (SELECT 1 FROM heartbeats));

-- Escalation SLA compliance counts escalations by the time their SLA fell due. Once that
-- time has passed, whether an escalation met its SLA is final, so the days before
-- settled_until are rolled up (by SettleComplianceEscalations, at read time, not at
-- ingest); max_id is the last escalation seen then, so that escalations stored later with
-- a due time already settled are counted from their rows until the next settlement. The
-- index covers the counts of the days not settled yet.
CREATE INDEX escalations_sla_due ON escalations (sla_due_at, team_id, gateway_id, status, resolved_at);

CREATE TABLE compliance_sla_days (
    day         BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    gateway_id  BIGINT NOT NULL,
    due         BIGINT NOT NULL,
    met         BIGINT NOT NULL,
    PRIMARY KEY (day, team_id, gateway_id)
);

CREATE TABLE compliance_sla_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    settled_until  BIGINT NOT NULL,
    max_id         BIGINT NOT NULL
);
INSERT INTO compliance_sla_state (id, settled_until, max_id) VALUES (1, 0, 0);

-- One compliance score per closed UTC day and team (team_id 0: the organization). The
-- primary key makes the snapshot unique however many replicas try to write it.
CREATE TABLE compliance_snapshots (
    day         BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (day, team_id)
);

-- How far the audit log's hash chain is known to be intact.
CREATE TABLE compliance_audit_verification (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    seq            BIGINT NOT NULL,
    hash           TEXT NOT NULL,
    first_bad_seq  BIGINT NOT NULL,
    checked_at     BIGINT NOT NULL
);
