// What the Java server's @MessageMapping methods read each agent->server body as: one entry per
// Java class, with the JSON property names Jackson 2 reads (the com.fasterxml @JsonProperty
// names; the org.codehaus ones some classes also carry are Jackson 1's and ignored), and the
// destination table (agent/stomp/HeartbeatController, AgentReportsController,
// AgentCurrentDataController). A few nested classes the agent never sends are 'Object'.
import type { JavaClass, JavaType } from './jacksonSchema.js';

const AGENT = 'org.apache.ambari.server.agent';
const DTO = `${AGENT}.stomp.dto`;
const list = (of: JavaType): JavaType => ({ list: of });
const map = (of: JavaType, keys?: 'Long'): JavaType => (keys ? { map: of, keys } : { map: of });

// DiskInfo (agent/DiskInfo.java): every property a String.
const DiskInfo: JavaClass = {
  javaClass: `${AGENT}.DiskInfo`,
  properties: Object.fromEntries(['available', 'mountpoint', 'type', 'used', 'percent', 'size', 'device'].map((name) => [name, 'String'])),
};

// HostInfo (agent/HostInfo.java): the registration's hardwareProfile.
const HostInfo: JavaClass = {
  javaClass: `${AGENT}.HostInfo`,
  properties: {
    ...Object.fromEntries(
      ['architecture', 'domain', 'fqdn', 'hardwareisa', 'hardwaremodel', 'hostname', 'id', 'interfaces', 'ipaddress', 'kernel', 'kernelmajversion', 'kernelrelease', 'kernelversion', 'macaddress', 'netmask', 'operatingsystem', 'operatingsystemrelease', 'osfamily', 'swapfree', 'swapsize', 'timezone', 'uptime'].map((name) => [name, 'String']),
    ),
    memoryfree: 'long',
    memorysize: 'long',
    memorytotal: 'long',
    uptime_hours: 'long',
    uptime_days: 'long',
    physicalprocessorcount: 'int',
    processorcount: 'int',
    selinux: 'boolean',
    mounts: list(DiskInfo),
  },
};

// AgentEnv (agent/AgentEnv.java) and its nested classes.
const named = (name: string, properties: Record<string, JavaType>): JavaClass => ({ javaClass: `${AGENT}.AgentEnv$${name}`, properties });
const AgentEnv: JavaClass = {
  javaClass: `${AGENT}.AgentEnv`,
  properties: {
    stackFoldersAndFiles: list(named('Directory', { name: 'String', type: 'String' })),
    alternatives: list(named('Alternative', { name: 'String', target: 'String' })),
    existingUsers: list(named('ExistingUser', { name: 'String', homeDir: 'String', status: 'String' })),
    existingRepos: list('String'),
    installedPackages: list(named('PackageDetail', { name: 'String', version: 'String', repoName: 'String' })),
    hostHealth: named('HostHealth', {
      activeJavaProcs: list(named('JavaProc', { user: 'String', pid: 'int', hadoop: 'boolean', command: 'String' })),
      agentTimeStampAtReporting: 'long',
      serverTimeStampAtReporting: 'long',
      liveServices: list(named('LiveService', { name: 'String', status: 'String', desc: 'String' })),
    }),
    umask: 'Integer',
    transparentHugePage: 'String',
    firewallRunning: 'Boolean',
    firewallName: 'String',
    hasUnlimitedJcePolicy: 'Boolean',
    reverseLookup: 'Boolean',
  },
};

// Register (agent/Register.java): the responseId is read as "id".
export const Register: JavaClass = {
  javaClass: `${AGENT}.Register`,
  properties: {
    id: 'int',
    timestamp: 'long',
    agentStartTime: 'long',
    hostname: 'String',
    currentPingPort: 'int',
    hardwareProfile: HostInfo,
    publicHostname: 'String',
    agentEnv: AgentEnv,
    agentVersion: 'String',
    prefix: 'String',
  },
};

// CommandReport (agent/CommandReport.java): exit code under "exitcode", structuredOut a String,
// status a plain String (not an enum: any text is read), taskId a long.
export const CommandReport: JavaClass = {
  javaClass: `${AGENT}.CommandReport`,
  properties: {
    role: 'String',
    actionId: 'String',
    stdout: 'String',
    stderr: 'String',
    structuredOut: 'String',
    status: 'String',
    exitcode: 'int',
    serviceName: 'String',
    taskId: 'long',
    clusterId: 'String',
    roleCommand: 'String',
    customCommand: 'String',
  },
};

// StaleAlert (agent/StaleAlert.java).
const StaleAlert: JavaClass = { javaClass: `${AGENT}.StaleAlert`, properties: { id: 'Long', timestamp: 'Long' } };

// Alert (state/Alert.java): state an AlertState.
const Alert: JavaClass = {
  javaClass: 'org.apache.ambari.server.state.Alert',
  properties: {
    name: 'String',
    instance: 'String',
    service: 'String',
    component: 'String',
    host: 'String',
    state: { enumClass: 'org.apache.ambari.server.state.AlertState', values: ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'SKIPPED'] },
    label: 'String',
    text: 'String',
    timestamp: 'long',
    clusterId: 'Long',
    uuid: 'String',
  },
};

// HeartBeat (agent/HeartBeat.java): the responseId is read as "id". nodeStatus, componentStatus
// and recoveryReport (not sent by the agent over STOMP) are not modelled.
export const HeartBeat: JavaClass = {
  javaClass: `${AGENT}.HeartBeat`,
  properties: {
    id: 'long',
    staleAlerts: list(StaleAlert),
    timestamp: 'long',
    hostname: 'String',
    reports: list(CommandReport),
    nodeStatus: 'Object',
    recoveryReport: 'Object',
    agentEnv: AgentEnv,
    componentStatus: 'Object',
    mounts: list(DiskInfo),
    alerts: list(Alert),
    recoveryTimestamp: 'long',
  },
};

// CommandStatusReports (stomp/dto/CommandStatusReports.java): {"clusters": {ID: [CommandReport]}}.
export const CommandStatusReports: JavaClass = { javaClass: `${DTO}.CommandStatusReports`, properties: { clusters: map(list(CommandReport)) } };

// ComponentStatusReports / ComponentStatusReport (stomp/dto/): command the enum
// CommandStatusCommand (STATUS only), clusterId a Long.
const ComponentStatusReport: JavaClass = {
  javaClass: `${DTO}.ComponentStatusReport`,
  properties: {
    componentName: 'String',
    command: { enumClass: `${DTO}.ComponentStatusReport$CommandStatusCommand`, values: ['STATUS'] },
    status: 'String',
    serviceName: 'String',
    clusterId: 'Long',
  },
};
export const ComponentStatusReports: JavaClass = { javaClass: `${DTO}.ComponentStatusReports`, properties: { clusters: map(list(ComponentStatusReport)) } };

// ComponentVersionReports / ComponentVersionReport (stomp/dto/).
const ComponentVersionReport: JavaClass = {
  javaClass: `${DTO}.ComponentVersionReport`,
  properties: { componentName: 'String', serviceName: 'String', version: 'String', clusterId: 'Long' },
};
export const ComponentVersionReports: JavaClass = { javaClass: `${DTO}.ComponentVersionReports`, properties: { clusters: map(list(ComponentVersionReport)) } };

// HostStatusReport (stomp/dto/HostStatusReport.java).
export const HostStatusReport: JavaClass = { javaClass: `${DTO}.HostStatusReport`, properties: { agentEnv: AgentEnv, mounts: list(DiskInfo) } };

// AckReport (stomp/dto/AckReport.java): status the enum AckStatus, messageId a Long.
export const AckReport: JavaClass = {
  javaClass: `${DTO}.AckReport`,
  properties: { status: { enumClass: `${DTO}.AckReport$AckStatus`, values: ['OK', 'ERROR'] }, reason: 'String', messageId: 'Long' },
};

// Hash (stomp/dto/Hash.java): the body of every /agents/* sync request.
export const Hash: JavaClass = { javaClass: `${DTO}.Hash`, properties: { hash: 'String' } };

/** The Java type each destination's body is read as. /reports/alerts_status takes an Alert[]. */
export const DESTINATION_TYPES: Record<string, JavaType> = {
  '/register': Register,
  '/heartbeat': HeartBeat,
  '/reports/commands_status': CommandStatusReports,
  '/reports/component_status': ComponentStatusReports,
  '/reports/component_version': ComponentVersionReports,
  '/reports/host_status': HostStatusReport,
  '/reports/alerts_status': list(Alert),
  '/reports/responses': AckReport,
  '/agents/topologies': Hash,
  '/agents/metadata': Hash,
  '/agents/configs': Hash,
  '/agents/host_level_params': Hash,
  '/agents/alert_definitions': Hash,
};
