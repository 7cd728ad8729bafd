/**
 * Alerts over the flow data: the rules' queries, the evaluator job, deduplication across
 * replicas by a unique key in the database, silences, and notifications to the log and to
 * webhooks (Slack-compatible JSON). Nothing here holds a raw value: rule ids, names, keyed
 * hashes and counts only. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.command.internal.alerts;

import org.jspecify.annotations.NullMarked;
