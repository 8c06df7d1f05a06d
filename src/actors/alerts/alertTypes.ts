// The shapes the alerts framework shares: a definition as the server sends it, what one check
// of it gives, and the record /reports/alerts_status takes. Field names are the Java server's
// (server/state/alert/AlertDefinition.java and its Source classes; server/state/Alert.java)
// and the Python agent's (alerts/base_alert.py, AlertStatusReporter.py).
import type { JsonObject } from '../../caches/json.js';

/** server/state/AlertState.java. */
export const ALERT_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'SKIPPED'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Reporting.ReportTemplate: the text for a state and, for thresholds, its value. */
export interface ReportTemplate {
  text?: string;
  value?: number;
  /** RECOVERY's thresholds (recovery_alert.py); the Java ReportTemplate has no such field. */
  count?: number;
}

/** server/state/alert/Reporting.java. */
export interface AlertReporting {
  ok?: ReportTemplate;
  warning?: ReportTemplate;
  critical?: ReportTemplate;
  unknown?: ReportTemplate;
  skipped?: ReportTemplate;
  units?: string;
  type?: string;
}

/** ParameterizedSource.AlertParameter. */
export interface AlertParameter {
  name: string;
  value?: unknown;
  display_name?: string;
  units?: string;
  description?: string;
  type?: string;
  visibility?: string;
  threshold?: string;
}

/** server/state/alert/Source.java and its subclasses, as one open shape (type decides which keys matter). */
export interface AlertSource extends JsonObject {
  type: string;
  reporting?: AlertReporting;
  /** PORT: a string; WEB, METRIC, AMS: a UriInfo object. */
  uri?: unknown;
  default_port?: number;
  parameters?: AlertParameter[];
  /** METRIC: {property_list, value, url_suffix}. */
  jmx?: JsonObject;
  /** AMS: {metric_list, value, interval, compute, app_id, minimum_value}. */
  ams?: JsonObject;
  /** SCRIPT: the script's path. */
  path?: string;
}

/** server/state/alert/AlertDefinition.java (JSON as sent in AlertCluster.alertDefinitions). */
export interface AlertDefinition {
  definitionId: number;
  clusterId: number;
  name: string;
  uuid: string;
  /** Minutes (AlertSchedulerHandler schedules in minutes; below 1 counts as 1). */
  interval: number;
  enabled: boolean;
  source: AlertSource;
  serviceName?: string;
  componentName?: string;
  label?: string;
  scope?: string;
  description?: string;
  help_url?: string;
  ignore_host?: boolean;
  repeat_tolerance?: number;
  repeat_tolerance_enabled?: boolean;
}

/** What one check of a definition found: base_alert's `_collect()` pair. */
export interface AlertOutcome {
  state: AlertState;
  /** The arguments of the state's text template, by position. */
  args: unknown[];
}

/** What a check needs besides its definition. */
export interface AlertCheckContext {
  /** This host's name, and its public name (the same unless the server says otherwise). */
  hostName: string;
  publicHostName: string;
  /** The cluster the definition belongs to, as the report carries it (a string). */
  clusterId: string;
  /**
   * The dictionary `{{site/key}}` placeholders are looked up in, as the original's
   * ConfigurationBuilder builds it: `configurations` ({type: {key: value}}),
   * `configurationAttributes`, `clusterLevelParams`, `hostLevelParams`, ... An alert of a
   * cluster whose configurations the agent lacks gets an empty object here.
   */
  configurations: JsonObject;
  /** Aborted when the check is cancelled (its definition removed, the agent stopping) or timed out. */
  signal: AbortSignal;
}

/** One kind of alert (PORT, WEB, ...): its check and its default texts. */
export interface AlertKind {
  check(definition: AlertDefinition, context: AlertCheckContext): Promise<AlertOutcome>;
  /** The text template used when reporting.<state>.text is missing. */
  defaultText(state: AlertState): string;
  /** The reporting the texts come from, when the kind overrides the definition's (SCRIPT: its script's text). */
  reporting?(reporting: AlertReporting | undefined): AlertReporting;
}

/** One result as /reports/alerts_status takes it (AlertStatusReporter; server/state/Alert.java). */
export interface AlertResult {
  name: string;
  /** A string: the Python agent sends str(clusterId); the server's Long reads it. */
  clusterId: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  definitionId: number;
  state: AlertState;
  text: string;
}
