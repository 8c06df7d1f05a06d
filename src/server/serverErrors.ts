// The answers the Java server gives when a SEND goes wrong, and the frame size limit.
//
// Error answer. A @MessageMapping method that throws (HostNotRegisteredException, or Spring's
// MessageConversionException when Jackson cannot read the body) is handled by
// RootStompConfig.ExceptionHandlingAdvice: `@MessageExceptionHandler(Exception.class)
// @SendToUser("/")` returning `new ErrorMessage(new AmbariException(e.getMessage()))`.
//  - Where it goes: the exception handler's return value is handled by the same return value
//    handlers as a normal answer, i.e. AmbariSendToMethodReturnValueHandler (installed in
//    RootStompConfig.configureGlobal), called with the incoming message; it copies that message's
//    `correlationId` native header into the answer. So the error arrives on the agent's `/user/`
//    subscription WITH the request's correlationId, like any answer.
//  - Its body: SimpMessagingTemplate.convertAndSendToUser converts the returned object as a
//    payload (it does not treat a Message return value specially), so Spring's
//    MappingJackson2MessageConverter serialises the ErrorMessage bean itself: its getters
//    getPayload() (the AmbariException: Throwable's getters cause, stackTrace, message,
//    localizedMessage, suppressed), getHeaders() (MessageHeaders, a Map: id, timestamp) and
//    getOriginalMessage() (null; no inclusion filter, so written as null). There is no `status`
//    property, which is how the agent's ServerResponsesListener tells it from an OK answer.
//  - The message: Spring 5.3 wraps Jackson's error as MessageConversionException("Could not read
//    JSON: " + jacksonMessage, cause); NestedRuntimeException.getMessage() appends
//    "; nested exception is <cause class>: <cause message>". The stack trace of a real server
//    holds Java frames; the dev server sends an empty one.
//
// Frame size. AgentStompConfig sets both Jetty's WebSocketPolicy.setMaxTextMessageSize and
// Spring's WebSocketTransportRegistration.setMessageSizeLimit to stomp.max_incoming.message.size
// (Configuration.java: 2*1024*1024). A WebSocket text message over it never reaches STOMP: Jetty
// 9.4 throws MessageTooLargeException("Text message size [N] exceeds maximum size [M]"), a
// CloseException with StatusCode.MESSAGE_TOO_LARGE, so the connection is closed with 1009 and
// that reason. Nothing of the frame is applied and there is no STOMP ERROR frame.
import { randomUUID } from 'node:crypto';

/** stomp.max_incoming.message.size's default (Configuration.STOMP_MAX_INCOMING_MESSAGE_SIZE). */
export const DEFAULT_MAX_MESSAGE_SIZE = 2 * 1024 * 1024;
/** StatusCode.MESSAGE_TOO_LARGE (RFC 6455). */
export const MESSAGE_TOO_LARGE = 1009;

/** Jetty's close reason for a text message over the limit (WebSocketPolicy.assertValidTextMessageSize). */
export function tooLargeReason(size: number, limit: number): string {
  return `Text message size [${size}] exceeds maximum size [${limit}]`;
}

/** MessageConversionException's getMessage() for a Jackson failure (see above). */
export function conversionFailure(jacksonMessage: string, jacksonException: string): string {
  return `Could not read JSON: ${jacksonMessage}; nested exception is ${jacksonException}: ${jacksonMessage}`;
}

/** The JSON of `new ErrorMessage(new AmbariException(message))` as Spring's Jackson converter writes it. */
export function errorMessageBody(message: string, now: number = Date.now()): Record<string, unknown> {
  return {
    payload: { cause: null, stackTrace: [], message, localizedMessage: message, suppressed: [] },
    headers: { id: randomUUID(), timestamp: now },
    originalMessage: null,
  };
}

/** StompResponse (agent/stomp/StompResponse.java) / ReportsResponse: `{"status": "OK"}`. */
export const OK_RESPONSE = { status: 'OK' } as const;

// RegistrationResponse (agent/RegistrationResponse.java, @JsonInclude NON_EMPTY, extends
// StompResponse): only `status` (StompResponse, always OK), `exitstatus`, `log` and `id`
// (responseId) are written; `response` (RegistrationStatus) and the command lists carry
// com.fasterxml @JsonIgnore. A refused registration (HeartbeatController.register's catch) is
// id -1, exitstatus 1, log = the exception message, and still status OK.
export function registrationAccepted(): Record<string, unknown> {
  return { status: 'OK', exitstatus: 0, id: 0 };
}

export function registrationRefused(log: string): Record<string, unknown> {
  return { status: 'OK', exitstatus: 1, log, id: -1 };
}

/** HeartBeatHandler.handleRegistration's refusal of another agentVersion than the server's. */
export function incompatibleVersionMessage(hostname: unknown, agentVersion: unknown, serverVersion: string): string {
  return `Cannot register host with non compatible agent version, hostname=${String(hostname ?? null)}, agentVersion=${String(agentVersion ?? null)}, serverVersion=${serverVersion}`;
}
