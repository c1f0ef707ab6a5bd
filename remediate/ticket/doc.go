// Package ticket provides remediators that open, update and resolve
// tickets for findings: Jira Cloud issues ([NewJira]), ServiceNow records
// ([NewServiceNow]), PagerDuty alerts ([NewPagerDuty]), Slack messages
// ([NewSlack]) and signed JSON webhooks ([NewWebhook]). Each is a
// [remediate.Remediator]: Plan reads the ticketing system and lists the
// exact requests (bodies included, credentials excluded), Apply makes them,
// and Permissions is nil because no AWS API is called.
//
// # One ticket per finding
//
// Every finding has a deduplication key ([DedupKey]): a hash of its
// metadata.uid, or of its account, finding and product uids, which stays
// the same across the finding's updates. It is the Jira label, the
// ServiceNow correlation_id, the PagerDuty dedup_key, the Slack message
// metadata and the webhook idempotency key. Before creating anything a
// remediator looks for the finding's open ticket: in the state
// ([Options.State]) and, for Jira and ServiceNow, by searching the key.
// A finding that arrives again is recorded in its ticket (a Jira comment, a
// ServiceNow work note, an edited Slack message, a finding.updated event),
// never duplicated.
//
// A finding's generation is its modified time (see [remediate.RefOf]).
// Tickets carry a reference "[<key> <generation>]" in their description and
// comments, so Apply can tell whether a generation is already recorded:
// applying a plan twice, or after a crash, adds nothing. The engine gives
// each generation its own idempotency key, so a new generation is planned
// again and becomes one comment.
//
// # Resolving
//
// Under [ActionSync] (the default) a finding arriving with a closing status
// (Suppressed, Resolved or Archived; [Options.ResolveStatuses]) resolves its
// ticket: Jira issues go through the transition to a "done" status after a
// closing comment, ServiceNow records get state 6 with close_code and
// close_notes, PagerDuty gets a resolve event, the Slack message is edited to
// say resolved, and webhooks receive finding.resolved. A ticket closed by a
// person counts as closed: if its finding becomes active again, a new ticket
// is opened, as PagerDuty opens a new alert for a trigger after a resolve.
//
// Composition with the engine's write-back. Plans that open or update a
// ticket have [remediate.EffectNotify]: after applying one, the engine sets
// a New finding In Progress (a person is on it), never Resolved, since
// opening a ticket fixes nothing. Plans that resolve a ticket have
// [remediate.EffectNone]: they follow a decision already made about the
// finding, and nothing is written back. So a closing status on a finding is
// always someone's decision (an analyst in the console, an automation rule,
// or the engine after a plan that fixed the finding), and it resolves the
// ticket. The engine's idempotency key covers the finding's status,
// severity and comment, so an analyst's resolution, which does not change
// the modified time, still reaches the rule. When another remediator fixes
// the finding, the engine recognises the resulting Security Hub event as
// its own and does not route it, so ticket remediators would never see it:
// wrap the Security Hub writer with [NewWriteBack], which resolves the
// tickets when an update says a fixing plan was applied
// ([remediate.StatusUpdate.Remediated]). [Remediator.Resolve] resolves a
// ticket on demand, and [ActionResolve] makes a remediator that only
// resolves, for rules matching findings known to be fixed.
//
// # Rule files
//
// [Factories] returns [remediate.Registry] entries ("jira", "servicenow",
// "pagerduty", "slack", "webhook") that build these remediators from the
// remediators section of a rule file ([remediate.LoadRules]); [NewFactory]
// adds more under other names. Credentials never go in the file: its
// parameters name environment variables ("api_token_env: JIRA_API_TOKEN"),
// read once when the file is loaded. See [Factories] for the parameters.
//
// # Slack
//
// With a bot token the Slack remediator posts one message per finding with
// chat.postMessage and edits it with chat.update (the message's ts is in
// the state, and message metadata carries the key, so the message is found
// again in the channel history). Incoming webhooks cannot edit a message, so
// with a webhook URL it posts when a finding is first seen and when it is
// resolved (and, with NotifyUpdates, each new generation), remembering in
// the state what it posted. Prefer the bot token.
//
// # Errors and secrets
//
// Errors wrap an [*Error] in [remediate.Transient] (429, 408, 5xx,
// timeouts and other transport failures) or [remediate.Permanent] (other
// 4xx, and error codes such as Slack's "channel_not_found"); a 429 whose
// Retry-After is short is retried within the call. Credentials are
// [Secret] values that print as "[REDACTED]"; they are kept out of plans,
// errors and logs, response excerpts in errors are scrubbed of them, and
// responses are read up to [Options.MaxResponseBytes]. The default HTTP
// client does not follow redirects, so credentials go to the configured
// host only.
package ticket
