-- Nexus Forge: the whole persistent state.
--
-- Conventions: lowercase SQL; uuid keys except for append-only logs (identity bigint, so
-- their order is their id); created_at/updated_at on every mutable table (append-only logs
-- have only created_at); a CHECK on every status column, mirroring the enums in
-- domain/src/status.rs; every row that belongs to a person has owner_id.

create function set_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end
$$;

-- People. Accounts and sign-in come later; until then everything belongs to the local user.
create table users (
    id            uuid primary key default gen_random_uuid(),
    username      text not null unique check (username ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    display_name  text not null check (length(display_name) between 1 and 200),
    password_hash text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create trigger users_updated_at before update on users for each row execute function set_updated_at();

insert into users (id, username, display_name)
values ('00000000-0000-0000-0000-000000000001', 'local', 'Local user');

-- Browser sessions (the tower-sessions store in server/src/sessions.rs). user_id mirrors
-- data->>'user_id' so sessions can be found, and revoked, per person.
create table sessions (
    id         text primary key,
    user_id    uuid references users (id) on delete cascade,
    data       jsonb not null check (jsonb_typeof(data) = 'object'),
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index sessions_expires_at_idx on sessions (expires_at);
create trigger sessions_updated_at before update on sessions for each row execute function set_updated_at();

-- Agents: identity, capabilities, limits. Live state is in agent_states.
create table agents (
    id              uuid primary key default gen_random_uuid(),
    name            text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    kind            text not null check (kind in ('orchestrator', 'coder', 'designer', 'asset_generator', 'tester', 'custom')),
    capabilities    text[] not null check (
        cardinality(capabilities) > 0
        and capabilities <@ array['code_generation', 'image_generation', 'video_generation', 'text_generation',
                                  'data_analysis', 'api_integration', 'ui_design', 'testing', 'deployment',
                                  'optimization']::text[]),
    max_concurrency integer not null default 4 check (max_concurrency between 1 and 1000),
    provider        text check (length(provider) between 1 and 200),
    model           text check (length(model) between 1 and 200),
    configuration   jsonb not null default '{}' check (jsonb_typeof(configuration) = 'object'),
    builtin         boolean not null default false,
    owner_id        uuid not null references users (id),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create trigger agents_updated_at before update on agents for each row execute function set_updated_at();

create table agent_states (
    agent_id          uuid primary key references agents (id) on delete cascade,
    status            text not null default 'offline' check (status in ('online', 'idle', 'busy', 'offline')),
    current_load      integer not null default 0 check (current_load >= 0),
    last_heartbeat_at timestamptz,
    -- The server process that last heartbeated this agent.
    host              text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create trigger agent_states_updated_at before update on agent_states for each row execute function set_updated_at();

insert into agents (name, kind, capabilities, max_concurrency, builtin, owner_id) values
    ('Starri-Orchestrator', 'orchestrator', '{text_generation,data_analysis,optimization}', 4, true,
     '00000000-0000-0000-0000-000000000001'),
    ('Jules-CodeGen', 'coder', '{code_generation,testing,api_integration}', 8, true,
     '00000000-0000-0000-0000-000000000001'),
    ('Gemini-Designer', 'designer', '{ui_design,text_generation}', 4, true,
     '00000000-0000-0000-0000-000000000001'),
    ('Imagen-Asset-Gen', 'asset_generator', '{image_generation,video_generation}', 4, true,
     '00000000-0000-0000-0000-000000000001');
insert into agent_states (agent_id) select id from agents;

-- Builds ("Nexus Forge projects"): a person's prompt and what came of it.
create table projects (
    id          uuid primary key default gen_random_uuid(),
    owner_id    uuid not null references users (id),
    prompt      text not null check (length(prompt) between 1 and 20000),
    name        text check (length(name) between 1 and 200),
    config      jsonb not null default '{}' check (jsonb_typeof(config) = 'object'),
    status      text not null default 'queued'
                check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
    phase       text not null default 'queued'
                check (phase in ('queued', 'analysis', 'planning', 'generation', 'assembly', 'packaging', 'done')),
    progress    real not null default 0 check (progress between 0 and 100),
    -- The analysis: the app spec, what the reflection pass noted, and its confidence.
    spec        jsonb,
    reflection  jsonb not null default '[]' check (jsonb_typeof(reflection) = 'array'),
    confidence  real check (confidence between 0 and 1),
    error       text,
    tokens_used bigint not null default 0 check (tokens_used >= 0),
    llm_calls   integer not null default 0 check (llm_calls >= 0),
    started_at  timestamptz,
    finished_at timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index projects_owner_created_idx on projects (owner_id, created_at desc, id desc);
create trigger projects_updated_at before update on projects for each row execute function set_updated_at();

-- Workflows: a validated task DAG and its execution state. A build owns at most one.
create table workflows (
    id                 uuid primary key default gen_random_uuid(),
    owner_id           uuid not null references users (id),
    project_id         uuid unique references projects (id) on delete cascade,
    name               text not null check (length(name) between 1 and 200),
    description        text not null,
    status             text not null default 'pending'
                       check (status in ('pending', 'running', 'completed', 'partial_success', 'failed',
                                         'cancelled', 'timeout')),
    mode               text not null default 'parallel' check (mode in ('parallel', 'sequential')),
    requirements       jsonb not null default '[]' check (jsonb_typeof(requirements) = 'array'),
    constraints        jsonb not null default '{}' check (jsonb_typeof(constraints) = 'object'),
    execution_strategy text not null default 'parallel' check (execution_strategy in ('parallel', 'sequential')),
    confidence         real check (confidence between 0 and 1),
    -- Longest the workflow may run once started; deadline_at is set from it on start.
    max_duration_ms    bigint check (max_duration_ms > 0),
    deadline_at        timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
create index workflows_owner_created_idx on workflows (owner_id, created_at desc, id desc);
create index workflows_running_deadline_idx on workflows (deadline_at) where status = 'running';
create trigger workflows_updated_at before update on workflows for each row execute function set_updated_at();

-- Tasks: the DAG's nodes and the work queue. A task is claimable when state = 'ready' and
-- run_at has passed; it holds a lease (lease_id, lease_expires_at) exactly while running.
create table tasks (
    id                    uuid primary key default gen_random_uuid(),
    workflow_id           uuid not null references workflows (id) on delete cascade,
    owner_id              uuid not null references users (id),
    key                   text not null check (length(key) between 1 and 128),
    description           text not null,
    kind                  text not null check (kind ~ '^[a-z][a-z0-9_]{0,31}$'),
    required_capabilities text[] not null default '{}' check (
        required_capabilities <@ array['code_generation', 'image_generation', 'video_generation', 'text_generation',
                                       'data_analysis', 'api_integration', 'ui_design', 'testing', 'deployment',
                                       'optimization']::text[]),
    -- Keys of the tasks this one depends on (for reading; task_edges is what the queue uses).
    dependencies          text[] not null default '{}',
    -- Dependencies (and, in sequential mode, predecessors) not yet succeeded.
    pending_dependencies  integer not null default 0 check (pending_dependencies >= 0),
    level                 integer not null default 0 check (level >= 0),
    -- Index in the workflow's topological order.
    position              integer not null check (position >= 0),
    state                 text not null default 'pending'
                          check (state in ('pending', 'ready', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
    priority              smallint not null default 0,
    input                 jsonb not null default 'null',
    output                jsonb,
    error                 text,
    attempts              integer not null default 0 check (attempts >= 0),
    max_attempts          integer not null default 3 check (max_attempts between 1 and 100),
    timeout_ms            integer not null default 300000 check (timeout_ms between 1 and 86400000),
    estimated_duration    integer not null default 0 check (estimated_duration >= 0),
    run_at                timestamptz not null default now(),
    agent_id              uuid references agents (id) on delete set null,
    lease_id              uuid,
    lease_owner           text,
    lease_expires_at      timestamptz,
    ready_at              timestamptz,
    started_at            timestamptz,
    finished_at           timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    unique (workflow_id, key),
    check ((state = 'running') = (lease_id is not null and lease_expires_at is not null))
);
create index tasks_ready_idx on tasks (priority desc, run_at, id) where state = 'ready';
create index tasks_running_lease_idx on tasks (lease_expires_at) where state = 'running';
create index tasks_running_agent_idx on tasks (agent_id) where state = 'running';
create index tasks_workflow_open_idx on tasks (workflow_id) where state in ('pending', 'ready', 'running');
create trigger tasks_updated_at before update on tasks for each row execute function set_updated_at();

-- The DAG's edges: to_task waits for from_task.
create table task_edges (
    from_task uuid not null references tasks (id) on delete cascade,
    to_task   uuid not null references tasks (id) on delete cascade,
    primary key (from_task, to_task),
    check (from_task <> to_task)
);
create index task_edges_to_task_idx on task_edges (to_task);

-- Coordination events: one append-only row per state change, in the same transaction as
-- the change. The ids are deliberately not foreign keys: the log is history that may
-- outlive what it mentions, and FK checks would take KEY SHARE locks on hot rows.
create table coordination_events (
    id          bigint generated always as identity primary key,
    kind        text not null check (kind ~ '^[a-z]+\.[a-z_]+$'),
    workflow_id uuid,
    task_id     uuid,
    agent_id    uuid,
    project_id  uuid,
    owner_id    uuid,
    payload     jsonb not null default '{}' check (jsonb_typeof(payload) = 'object'),
    created_at  timestamptz not null default now()
);
create index coordination_events_workflow_idx on coordination_events (workflow_id, id) where workflow_id is not null;
create index coordination_events_project_idx on coordination_events (project_id, id) where project_id is not null;

-- One NOTIFY per inserting statement carrying the highest new id: a doorbell. Listeners
-- read the rows themselves, so a missed notification loses nothing.
create function notify_coordination_events() returns trigger language plpgsql as $$
begin
    perform pg_notify('nf_events', (select max(id)::text from new_events));
    return null;
end
$$;
create trigger coordination_events_notify after insert on coordination_events
    referencing new table as new_events for each statement execute function notify_coordination_events();

-- Measurements (task durations, queue wait, tokens). Append-only.
create table performance_metrics (
    id          bigint generated always as identity primary key,
    metric      text not null check (metric ~ '^[a-z][a-z0-9_.]*$'),
    value       double precision not null,
    unit        text not null check (unit in ('ms', 'count', 'tokens', 'bytes', 'ratio')),
    workflow_id uuid,
    task_id     uuid,
    agent_id    uuid,
    project_id  uuid,
    labels      jsonb not null default '{}' check (jsonb_typeof(labels) = 'object'),
    created_at  timestamptz not null default now()
);
create index performance_metrics_metric_created_idx on performance_metrics (metric, created_at desc);

-- Every API mutation: who, what, when, from where, and how it ended. Append-only.
create table audit_logs (
    id          bigint generated always as identity primary key,
    actor_id    uuid references users (id) on delete set null,
    action      text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type text,
    target_id   text,
    outcome     text not null check (outcome in ('success', 'failure')),
    status_code smallint check (status_code between 100 and 599),
    client_addr text,
    user_agent  text,
    details     jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
    created_at  timestamptz not null default now()
);
create index audit_logs_created_idx on audit_logs (created_at desc);
create index audit_logs_actor_idx on audit_logs (actor_id, created_at desc);

-- Generated files of a build (kind 'file': the preview serves them) and its zip (kind
-- 'package'). Stored in Postgres: one place to back up, shared by every server process,
-- and written in the same transaction as the task that made them.
create table artifacts (
    id           uuid primary key default gen_random_uuid(),
    project_id   uuid not null references projects (id) on delete cascade,
    owner_id     uuid not null references users (id),
    task_id      uuid references tasks (id) on delete set null,
    kind         text not null default 'file' check (kind in ('file', 'package')),
    path         text not null check (
        length(path) between 1 and 255
        and path ~ '^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$'),
    content_type text not null check (length(content_type) between 1 and 100),
    content      bytea not null,
    size_bytes   integer generated always as (octet_length(content)) stored,
    sha256       text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    unique (project_id, path)
);
create trigger artifacts_updated_at before update on artifacts for each row execute function set_updated_at();
