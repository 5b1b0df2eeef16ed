-- Custom framework templates for compliance packages (issue 5). SOC 2 and HIPAA are built
-- in and not stored. name_key is the name in lower case: names are unique without regard
-- to case. version and definition are the current version's; every version ever written
-- stays in framework_template_versions, also after the template is deleted (deleted_at),
-- so a package can name the exact definition it was built from. Creating a deleted name
-- again brings its row back and continues its version numbers.

CREATE TABLE framework_templates (
    id          {{ID}},
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted_at  BIGINT
);

CREATE TABLE framework_template_versions (
    template_id BIGINT NOT NULL REFERENCES framework_templates (id),
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    written_at  BIGINT NOT NULL,
    written_by  TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
);
