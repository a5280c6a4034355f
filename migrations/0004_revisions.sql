-- Revisions: a completed build changed by a request ("add a notes field to recipes") makes a
-- new build of the same app. `parent_id` is the build it was made from, `root_id` the app's
-- first build (null on that one), `revision` its number within the app (1 for the first).
-- `changes` says what differs from the parent's spec; `reused` and `rerun` are the keys of
-- the generation tasks the planner carried over from the parent and ran again.
alter table projects
    add column parent_id uuid references projects (id) on delete set null,
    add column root_id   uuid references projects (id) on delete set null,
    add column revision  integer not null default 1 check (revision >= 1),
    add column changes   jsonb not null default '[]' check (jsonb_typeof(changes) = 'array'),
    add column reused    text[] not null default '{}',
    add column rerun     text[] not null default '{}';
create unique index projects_app_revision_idx on projects (coalesce(root_id, id), revision);
