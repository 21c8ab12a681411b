/**
 * The operator side of `medic`: start/status/history/approve/reject against a deployed stack,
 * pause/resume (the kill switch), and `alarms sync` for the opted-in fleet. AWS access uses the SDK's default credential chain,
 * with --region / --profile; the stack's resources are found by stage name unless given.
 */
import { userInfo } from 'node:os';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Command, CommanderError, Option } from 'commander';
import { executionArnFor, stepFunctions } from '../shared/adapters/stepfunctions.ts';
import { MEDIC_TRIGGER, normalise } from '../shared/domain/normalise.ts';
import { planAlarms, renderPlan, standardAlarms } from '../shared/domain/standard-alarms.ts';
import { CliUsageError, NotFoundError, USER_FACING_ERRORS } from '../shared/errors.ts';
import { eventLine, exitCodeFor, renderOutcome, TERMINAL_EVENTS } from './progress.ts';

interface AwsOptions {
  region?: string;
  profile?: string;
  stage: string;
  stateMachine?: string;
  table?: string;
  topic?: string;
}

type Out = (line: string) => void;

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** `--account` / `--region` of a command, checked: where the instance lives, not where the stack is. */
function whereOption(o: { account?: unknown; region?: unknown }): { account?: string; region?: string } {
  const account = o.account === undefined ? undefined : String(o.account);
  const region = o.region === undefined ? undefined : String(o.region);
  if (account !== undefined && !ACCOUNT_ID.test(account))
    throw new CliUsageError(`--account must be a 12-digit AWS account id, got "${account}"`);
  if (region !== undefined && !REGION.test(region))
    throw new CliUsageError(`--region must look like eu-west-1, got "${region}"`);
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}

/** The account and region a run is about, from its input (an alarm event or medic's trigger). */
function runWhere(input: unknown): { account?: string; region?: string } {
  const i = (input ?? {}) as Record<string, unknown>;
  const t = (i[MEDIC_TRIGGER] ?? i) as Record<string, unknown>;
  return {
    ...(typeof t.account === 'string' ? { account: t.account } : {}),
    ...(typeof t.region === 'string' ? { region: t.region } : {}),
  };
}

function clientConfig(o: AwsOptions) {
  return { ...(o.region ? { region: o.region } : {}), ...(o.profile ? { profile: o.profile } : {}) };
}

async function stateMachineArn(sfn: SFNClient, o: AwsOptions): Promise<string> {
  const given = o.stateMachine ?? process.env.MEDIC_STATE_MACHINE_ARN;
  if (given) return given;
  const name = `medic-${o.stage}-incident`;
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    const hit = out.stateMachines?.find((m) => m.name === name);
    if (hit?.stateMachineArn) return hit.stateMachineArn;
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  throw new NotFoundError(
    `no state machine named ${name} in this account/region: deploy with --stage ${o.stage}, or pass --state-machine ARN / --region`,
  );
}

async function alarmsTopicArn(o: AwsOptions): Promise<string> {
  const given = o.topic ?? process.env.MEDIC_ALARMS_TOPIC_ARN;
  if (given) return given;
  const { ListTopicsCommand, SNSClient } = await import('@aws-sdk/client-sns');
  const sns = new SNSClient(clientConfig(o));
  const suffix = `:medic-${o.stage}-alarms`;
  let NextToken: string | undefined;
  for (let page = 0; page < 50; page++) {
    const out = await sns.send(new ListTopicsCommand({ NextToken }));
    const hit = out.Topics?.find((t) => t.TopicArn?.endsWith(suffix));
    if (hit?.TopicArn) return hit.TopicArn;
    NextToken = out.NextToken;
    if (!NextToken) break;
  }
  throw new NotFoundError(`no SNS topic medic-${o.stage}-alarms: deploy the stack or pass --topic ARN`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the history until a terminal event, printing each new state; bounded by `timeoutMs`. */
async function follow(
  sf: ReturnType<typeof stepFunctions>,
  executionArn: string,
  out: Out,
  pollMs: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastId = 0;
  let terminal: string | null = null;
  while (terminal === null) {
    const events = await sf.history(executionArn, lastId);
    for (const event of events) {
      lastId = Math.max(lastId, event.id ?? 0);
      const line = eventLine(event);
      if (line) out(line);
      if (TERMINAL_EVENTS.has(event.type ?? '')) terminal = event.type ?? 'ExecutionFailed';
    }
    if (terminal !== null) break;
    if (Date.now() > deadline) {
      out(
        `still running after ${Math.round(timeoutMs / 1000)} s; check later with: medic status ${executionArn}`,
      );
      return 4;
    }
    await sleep(pollMs);
  }
  const view = await sf.describe(executionArn);
  // Terminal history wins over a lagging DescribeExecution status.
  const status = view.status === 'RUNNING' ? terminal.replace('Execution', '').toUpperCase() : view.status;
  out(renderOutcome(status, view.output, view.error, view.cause));
  return exitCodeFor(status, view.output);
}

export function operatorProgram(
  out: Out = console.log,
  err: Out = console.error,
): { program: Command; result: { code: number } } {
  const result = { code: 0 };
  // Commander ignores action return values; each action's exit code is kept here.
  const exit =
    // biome-ignore lint/suspicious/noExplicitAny: commander passes positional args untyped
      (fn: (...args: any[]) => Promise<number>) =>
      async (...args: unknown[]) => {
        result.code = await fn(...args);
      };
  const program = new Command('medic')
    .description(
      'medic — a serverless first responder for EC2 alarms.\n\n' +
        'Operator commands talk to a deployed medic stack with your AWS credentials (the SDK default ' +
        'chain: env, --profile, SSO, instance role). The stack is found by --stage (default "dev"). ' +
        '`medic simulate` and `medic demo` run everything locally on moto and a local Jira instead.',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 done; 1 the execution failed or its outcome is unknown; 2 bad input (nothing was ' +
        'started); 3 a person is needed (escalated/held); 4 --follow gave up waiting.\n' +
        'Examples:\n' +
        '  medic --stage prod start --instance i-0123456789abcdef0 --dry-run --follow\n' +
        '  medic --stage prod status <episode-key>\n' +
        '  medic --stage prod alarms sync --dry-run',
    )
    .addOption(new Option('--region <region>', 'AWS region of the stack').env('AWS_REGION'))
    .addOption(new Option('--profile <profile>', 'AWS shared-config profile'))
    .addOption(
      new Option('--stage <stage>', 'medic stage the stack was deployed with')
        .env('MEDIC_STAGE')
        .default('dev'),
    )
    .option('--state-machine <arn>', 'incident state machine ARN (default: medic-<stage>-incident)')
    .option('--table <name>', 'incident store table (default: medic-<stage>-incidents)')
    .showHelpAfterError('(medic --help explains every command)')
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .exitOverride()
    // The stack's --region goes before the command; after `start`, `status` or `history` it is the
    // region the instance lives in (an organization's member region), never where the stack is.
    .enablePositionalOptions();

  const aws = (): AwsOptions => program.opts<AwsOptions>();

  program
    .command('simulate')
    .description('run the real workflow locally on moto + a local Jira (see `medic simulate --help`)')
    .helpOption(false);
  program.command('demo').description('run the headline scenarios locally and show what medic does');

  program
    .command('start')
    .description('start an incident run for one instance (the same workflow an alarm starts)')
    .addHelpText(
      'after',
      '\nWith --follow the exit code is the outcome: 0 resolved/self-recovered/dry-run, 3 escalated/held ' +
        '(a person is needed), 1 failed, 4 still running at --timeout.',
    )
    .requiredOption('--instance <id>', 'EC2 instance id, e.g. i-0123456789abcdef0')
    .option('--account <id>', "the instance's AWS account (default: the central deployment's)")
    .option('--region <region>', "the instance's region (default: the central deployment's)")
    .addOption(new Option('--dry-run', 'run everything but the mutating calls').conflicts('approve'))
    .addOption(
      new Option('--approve', 'pause before each mutating action for `medic approve`').conflicts('dryRun'),
    )
    .option('--reason <text>', 'why you are starting it (goes on the ticket)', 'manual run')
    .option('--requested-by <who>', 'who asked (default: your user name)')
    .option('--follow', 'show progress state by state and end with the timeline and ticket')
    .option('--timeout <seconds>', 'how long --follow waits', '1800')
    .addOption(new Option('--poll-ms <ms>', 'history poll interval').default('2000').hideHelp())
    .action(
      exit(async (o) => {
        if (!INSTANCE_ID.test(o.instance)) {
          throw new CliUsageError(`--instance must look like i-0123456789abcdef0, got "${o.instance}"`);
        }
        const reason = String(o.reason).trim();
        if (!reason) throw new CliUsageError('--reason must not be empty');
        const mode = o.dryRun ? 'dry-run' : o.approve ? 'approve' : 'auto';
        const requestId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
        // Normalised here so the execution name is the episode key (the same contract as alarms).
        const where = whereOption(o);
        const trigger = normalise({
          instanceId: o.instance,
          reason,
          requestedBy: o.requestedBy ?? userInfo().username,
          mode,
          requestId,
          ...where,
        });
        const sfn = new SFNClient(clientConfig(aws()));
        const sf = stepFunctions(sfn, await stateMachineArn(sfn, aws()));
        const started = await sf.start(trigger.episodeKey, { [MEDIC_TRIGGER]: trigger });
        out(
          `started ${trigger.episodeKey} (${mode}) for ${o.instance}${where.account || where.region ? ` in ${[where.account, where.region].filter(Boolean).join(' ')}` : ''}`,
        );
        out(`  execution: ${started.executionArn}`);
        if (!o.follow) return 0;
        return follow(sf, started.executionArn, out, Number(o.pollMs), Number(o.timeout) * 1000);
      }),
    );

  program
    .command('status')
    .description('show an execution: its states so far and, when finished, outcome, ticket and timeline')
    .argument('<execution>', 'execution ARN or episode key (the execution name)')
    .option('--json', 'print the execution description as JSON')
    .option('--account <id>', 'fail unless the run is about this account')
    .option('--region <region>', 'fail unless the run is about this region')
    .action(
      exit(async (execution: string, o) => {
        const wanted = whereOption(o);
        const sfn = new SFNClient(clientConfig(aws()));
        const arn = execution.startsWith('arn:')
          ? execution
          : executionArnFor(await stateMachineArn(sfn, aws()), execution);
        const sf = stepFunctions(sfn, arn.split(':execution:')[0] ?? '');
        const view = await sf.describe(arn);
        const ran = runWhere(view.input);
        for (const key of ['account', 'region'] as const) {
          const want = wanted[key];
          if (want && ran[key] !== want) {
            throw new CliUsageError(
              `${view.name} is about ${key} ${ran[key] ?? "the central deployment's"}, not ${want}`,
            );
          }
        }
        if (o.json) {
          out(JSON.stringify(view, null, 2));
        } else {
          out(
            `${view.name}: ${view.status} (started ${view.startDate ?? '?'}${view.stopDate ? `, stopped ${view.stopDate}` : ''})`,
          );
          if (ran.account || ran.region)
            out(`  account ${ran.account ?? '(central)'}, region ${ran.region ?? '(central)'}`);
          for (const event of await sf.history(arn)) {
            const line = eventLine(event);
            if (line) out(line);
          }
          if (view.status !== 'RUNNING') out(renderOutcome(view.status, view.output, view.error, view.cause));
        }
        return view.status === 'RUNNING' ? 0 : exitCodeFor(view.status, view.output);
      }),
    );

  program
    .command('history')
    .description('recent incidents of an instance, from the incident store')
    .requiredOption('--instance <id>', 'EC2 instance id')
    .option('--account <id>', 'only incidents of the instance in this account')
    .option('--region <region>', 'only incidents of the instance in this region')
    .option('--limit <n>', 'how many', '10')
    .option('--json', 'print JSON')
    .action(
      exit(async (o) => {
        if (!INSTANCE_ID.test(o.instance)) {
          throw new CliUsageError(`--instance must look like i-0123456789abcdef0, got "${o.instance}"`);
        }
        const limit = Math.min(Math.max(Number(o.limit) || 10, 1), 100);
        // Loaded per command: the EC2/CloudWatch/DynamoDB clients are slow to import.
        const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
        const { incidentStore } = await import('../shared/adapters/incident-store.ts');
        const store = incidentStore(
          new DynamoDBClient(clientConfig(aws())),
          aws().table ?? process.env.MEDIC_INCIDENTS_TABLE ?? `medic-${aws().stage}-incidents`,
        );
        const where = whereOption(o);
        // The same instance id may exist in several accounts: rows name where they were.
        const incidents = (await store.incidentsFor(o.instance, where.account || where.region ? 100 : limit))
          .filter(
            (i) =>
              (!where.account || i.account === where.account) && (!where.region || i.region === where.region),
          )
          .slice(0, limit);
        if (o.json) {
          out(JSON.stringify(incidents, null, 2));
          return 0;
        }
        if (incidents.length === 0) {
          out(`no incidents recorded for ${o.instance}`);
          return 0;
        }
        out(
          'started (UTC)             outcome         classification  ticket    account      region          alarm',
        );
        for (const i of incidents) {
          out(
            `${i.startedAt.padEnd(25)} ${i.outcome.padEnd(15)} ${(i.classification ?? '-').padEnd(15)} ${(i.ticketKey ?? '-').padEnd(9)} ${(i.account ?? '-').padEnd(12)} ${(i.region ?? '-').padEnd(15)} ${i.alarmName ?? '(manual)'}`,
          );
        }
        return 0;
      }),
    );

  for (const [name, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    program
      .command(name)
      .description(`${approve ? 'approve' : 'reject'} the mutating action an approve-mode run is waiting on`)
      .argument('<token>', 'the task token from the approval notification')
      .option('--reason <text>', 'why (recorded on the timeline)')
      .option('--by <who>', 'who decided (default: your user name)')
      .action(
        exit(async (token: string, o) => {
          if (token.length < 10 || token.length > 2048) {
            throw new CliUsageError(
              'that does not look like a task token (copy it from the approval message)',
            );
          }
          const by = o.by ?? userInfo().username;
          const sf = stepFunctions(new SFNClient(clientConfig(aws())), '');
          try {
            if (approve) {
              await sf.approve(token, {
                decision: 'approved',
                by,
                reason: o.reason ?? null,
                at: new Date().toISOString(),
              });
            } else {
              await sf.reject(
                token,
                'ApprovalRejected',
                `rejected by ${by}${o.reason ? `: ${o.reason}` : ''}`,
              );
            }
          } catch (error) {
            const e = error as Error;
            if (['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut'].includes(e.name)) {
              throw new NotFoundError(`${e.name}: the run is no longer waiting on this token (${e.message})`);
            }
            throw error;
          }
          out(`${approve ? 'approved' : 'rejected'} by ${by}`);
          return 0;
        }),
      );
  }

  // The kill switch: one SSM parameter per stage, read by PrepareRung before each
  // mutating rung (including ladders already running). Writing it needs ssm:PutParameter, clearing
  // it ssm:DeleteParameter, on arn:aws:ssm:<region>:<account>:parameter/medic/<stage>/pause.
  const pauseName = () => `/medic/${aws().stage}/pause`;
  // `--account ID` / `--region R` pause one account or one region; neither: everything.
  const scopedPauseName = async (o: { account?: string; region?: string }) => {
    const where = whereOption(o);
    // After the command, --region is the region to pause, not where the stack is: without the
    // stack's region named before the command, the parameter would land wherever the profile points.
    if (where.region && !aws().region)
      throw new CliUsageError(
        `name the stack's region before the command too: medic --stage ${aws().stage} --region <stack region> ${process.argv.includes('resume') ? 'resume' : 'pause'} --region ${where.region} …`,
      );
    const { pauseParameterName } = await import('../shared/adapters/pause-switch.ts');
    return pauseParameterName(
      pauseName(),
      where.account
        ? { account: where.account }
        : where.region
          ? { region: where.region }
          : { everything: true },
    );
  };
  const pauseScopeText = (o: { account?: string; region?: string }) =>
    o.account ? `account ${o.account}` : o.region ? `region ${o.region}` : 'everything';
  const pauseScopeFlags = (o: { account?: string; region?: string }) =>
    o.account ? ` --account ${o.account}` : o.region ? ` --region ${o.region}` : '';
  program
    .command('pause')
    .description('hold every mutating action of this stage until `medic resume` (runs in flight too)')
    .addHelpText(
      'after',
      '\nWhile paused, runs still gather evidence, file the ticket and page; before each mutating rung ' +
        'they hold ("held": who paused and why goes on the timeline). Takes effect within seconds ' +
        '(each function caches the switch for MEDIC_PAUSE_CACHE_SECONDS, default 5).',
    )
    .requiredOption('--reason <text>', "why (on every held run's timeline and page)")
    .option('--by <who>', 'who paused (default: your user name)')
    .addOption(new Option('--account <id>', 'pause only this member account').conflicts('region'))
    .option('--region <region>', 'pause only this region (of every account)')
    .action(
      exit(async (o) => {
        const reason = String(o.reason).trim();
        if (!reason) throw new CliUsageError('--reason must not be empty');
        if (reason.length > 500) throw new CliUsageError('--reason must be at most 500 characters');
        const by = String(o.by ?? process.env.USER ?? userInfo().username);
        const [{ SSMClient }, { writePause }] = await Promise.all([
          import('@aws-sdk/client-ssm'),
          import('../shared/adapters/pause-switch.ts'),
        ]);
        const at = new Date().toISOString();
        const name = await scopedPauseName(o);
        await writePause(new SSMClient(clientConfig(aws())), name, { paused: true, reason, by, at });
        out(`paused medic (stage ${aws().stage}, ${pauseScopeText(o)}) at ${at} by ${by}: ${reason}`);
        out(`  ${name} is set; \`medic --stage ${aws().stage} resume${pauseScopeFlags(o)}\` lifts it`);
        return 0;
      }),
    );
  program
    .command('resume')
    .description(
      'lift `medic pause`: mutating actions are allowed again (new rungs only; held runs stay held)',
    )
    .addOption(new Option('--account <id>', 'lift the pause of this account only').conflicts('region'))
    .option('--region <region>', 'lift the pause of this region only')
    .action(
      exit(async (o) => {
        const [{ SSMClient }, { clearPause }] = await Promise.all([
          import('@aws-sdk/client-ssm'),
          import('../shared/adapters/pause-switch.ts'),
        ]);
        const previous = await clearPause(new SSMClient(clientConfig(aws())), await scopedPauseName(o));
        out(
          previous
            ? `resumed medic (stage ${aws().stage}, ${pauseScopeText(o)}); it was paused by ${previous.by} at ${previous.at}: ${previous.reason}`
            : `medic (stage ${aws().stage}, ${pauseScopeText(o)}) was not paused; nothing to do`,
        );
        return 0;
      }),
    );

  const alarms = program.command('alarms').description('standard CloudWatch alarms for the opted-in fleet');
  alarms
    .command('sync')
    .description('create/update the standard alarms of every instance tagged medic:managed=true')
    .addHelpText(
      'after',
      '\nStandard alarms: system and instance status checks, CPU, memory and disk (CloudWatch agent), ' +
        'wired to the medic alarms topic on ALARM and OK. Idempotent; prints a plan (+ create, ~ update, ' +
        '= unchanged, ! orphaned). Never deletes an alarm.',
    )
    .option('--dry-run', 'print the plan only')
    .option('--topic <arn>', 'alarm action topic (default: medic-<stage>-alarms)')
    .option('--account <id>', 'sync in this account (a member: through its member role, as the Lambdas)')
    .option('--region <region>', "sync in this region (default: the stack's)")
    .option('--all', 'sync every configured account (central + MEDIC_MEMBER_ACCOUNTS) × --regions')
    .option('--regions <list>', 'regions for --all (default: MEDIC_REGIONS)')
    .option(
      '--central-account <id>',
      'the central account (default: MEDIC_CENTRAL_ACCOUNT, else who you are)',
    )
    .addHelpText(
      'after',
      '\nOrganization: --account/--region or --all assume arn:<partition>:iam::<account>:role/' +
        '<MEDIC_MEMBER_ROLE_NAME> with MEDIC_MEMBER_EXTERNAL_ID, as the central functions do; the member ' +
        "role trusts only the central stage's roles (medic-<stage>-*), so run it as one of those. Alarms " +
        "outside the stack's own account and region carry no action: the member stack forwards their " +
        'state changes to the central bus. An account whose role cannot be assumed is one line, exit 1.',
    )
    .action(
      exit(async (o) => {
        if (o.account || o.region || o.all) {
          const where = whereOption({ account: o.account, region: o.region });
          const { everyTarget, listOption, syncAlarms } = await import('./alarms-sync.ts');
          const members = listOption(process.env.MEDIC_MEMBER_ACCOUNTS);
          const central = o.centralAccount ?? process.env.MEDIC_CENTRAL_ACCOUNT;
          if (central !== undefined && !ACCOUNT_ID.test(central))
            throw new CliUsageError(`--central-account must be a 12-digit AWS account id, got "${central}"`);
          const home = aws().region ?? 'us-east-1';
          const targets = o.all
            ? everyTarget(
                central ?? where.account ?? '',
                members,
                listOption(o.regions ?? process.env.MEDIC_REGIONS),
              )
            : [{ account: where.account ?? central ?? '', region: where.region ?? home }];
          if (targets.some((t) => !ACCOUNT_ID.test(t.account)))
            throw new CliUsageError(
              '--all and --region need the account: --account ID or --central-account ID',
            );
          return syncAlarms({
            client: clientConfig(aws()),
            targets,
            centralAccount: central,
            memberRoleName: process.env.MEDIC_MEMBER_ROLE_NAME || 'medic-member',
            externalId: process.env.MEDIC_MEMBER_EXTERNAL_ID || undefined,
            memberAccounts: members.length ? members : null,
            topic: () => alarmsTopicArn({ ...aws(), topic: o.topic }),
            dryRun: Boolean(o.dryRun),
            who: userInfo().username,
            out,
          });
        }
        const config = clientConfig(aws());
        // Loaded per command: the EC2 client alone takes about a second to import.
        const [{ CloudWatchClient }, { EC2Client }, { cloudWatchAlarms }, { managedFleet }] =
          await Promise.all([
            import('@aws-sdk/client-cloudwatch'),
            import('@aws-sdk/client-ec2'),
            import('../shared/adapters/cloudwatch-alarms.ts'),
            import('../shared/adapters/fleet.ts'),
          ]);
        const topic = await alarmsTopicArn({ ...aws(), topic: o.topic });
        const fleet = await managedFleet(new EC2Client(config));
        const cw = cloudWatchAlarms(new CloudWatchClient(config));
        const desired = fleet.flatMap((i) => standardAlarms(i, topic));
        const plan = planAlarms(desired, await cw.medicAlarms());
        out(`${fleet.length} opted-in instance(s); alarm actions → ${topic}`);
        out(renderPlan(plan));
        if (o.dryRun) {
          out('(dry run: nothing changed)');
          return 0;
        }
        for (const step of plan) if (step.op === 'create' || step.op === 'update') await cw.put(step.spec);
        out('applied.');
        return 0;
      }),
    );

  program
    .command('stats')
    .description('how well each fix has worked: per classification × action, from the incident store')
    .option('--days <n>', 'how far back (1-90)', '30')
    .option('--json', 'print JSON')
    .action(
      exit(async (o) => {
        const days = Number(o.days);
        if (!Number.isInteger(days) || days < 1 || days > 90)
          throw new CliUsageError(`--days must be a whole number from 1 to 90, got "${o.days}"`);
        const [{ DynamoDBClient }, { fixRecord }, { fixStats, renderStats }] = await Promise.all([
          import('@aws-sdk/client-dynamodb'),
          import('../shared/adapters/fix-record.ts'),
          import('../shared/usecases/learn.ts'),
        ]);
        const fixes = fixRecord(
          new DynamoDBClient(clientConfig(aws())),
          aws().table ?? process.env.MEDIC_INCIDENTS_TABLE ?? `medic-${aws().stage}-incidents`,
        );
        const stats = await fixStats({ fixes, now: new Date(), days });
        if (o.json) out(JSON.stringify({ days, stats }, null, 2));
        else for (const line of renderStats(stats, days)) out(line);
        return 0;
      }),
    );

  program
    .command('replay')
    .description('what admission and the bounds would have done on a historical alarm stream (read-only)')
    .addHelpText(
      'after',
      '\nFILE: what `aws cloudwatch describe-alarm-history --history-item-type StateUpdate` prints, or ' +
        'EventBridge alarm events (a JSON array or one per line). Reads the alarms, instances and groups as ' +
        'they are now (DescribeAlarms, DescribeInstances, DescribeAutoScalingGroups); writes nothing and ' +
        'notifies nobody. Run it on last month before turning on auto.',
    )
    .argument('<file>', 'the alarm history or events file')
    .option('--json', 'print one JSON document with the counts')
    .action(
      exit(async (file: string, o) => {
        const { replayFile } = await import('./replay.ts');
        const { renderReplay } = await import('../shared/usecases/replay.ts');
        const report = await replayFile(file, clientConfig(aws()));
        if (o.json) out(JSON.stringify(report, null, 2));
        else for (const line of renderReplay(report)) out(line);
        return 0;
      }),
    );

  return { program, result };
}

/** Runs an operator command; returns the exit code (2 for usage errors). */
export async function runOperator(
  argv: string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  const { program, result } = operatorProgram(out, err);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return result.code;
}

/**
 * Entry for the operator commands (bin/medic.mjs routes them here without loading the local
 * simulation). Errors a person can act on print as one line with exit 2, as in `medic simulate`.
 */
export async function operatorMain(
  argv: string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  try {
    return await runOperator(argv, out, err);
  } catch (error) {
    const e = error as Error & { $metadata?: unknown };
    if (USER_FACING_ERRORS.has(e.name)) {
      err(`medic: ${e.name}: ${e.message}`);
      return 2;
    }
    if (e.$metadata !== undefined) {
      // An AWS API error (credentials, permissions, validation): one line, not a stack trace.
      err(`medic: AWS ${e.name}: ${e.message}`);
      return 1;
    }
    err(e.stack ?? String(e));
    return 1;
  }
}
