-- The browser check (`verify`): a build's app is opened and driven in headless Chromium
-- after it is assembled. `verify` holds its report (outcome, rounds, problems, repairs,
-- screenshots); the screenshots themselves are artifacts of kind 'screenshot'
-- (`screenshots/<page>.png`), and a build has a `verification` phase.
alter table projects add column verify jsonb check (verify is null or jsonb_typeof(verify) = 'object');
alter table projects drop constraint projects_phase_check;
alter table projects add constraint projects_phase_check
    check (phase in ('queued', 'analysis', 'planning', 'generation', 'assembly', 'verification', 'packaging', 'done'));
alter table artifacts drop constraint artifacts_kind_check;
alter table artifacts add constraint artifacts_kind_check check (kind in ('file', 'package', 'screenshot'));
