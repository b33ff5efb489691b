package dev.stratus.core.auth;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;

/**
 * What an authenticator sees of a CONNECT and its connection.
 *
 * @param username null when absent
 * @param password null when absent
 * @param certificateSubject the subject of a verified TLS client certificate, or null
 */
public record ConnectRequest(
    String clientId,
    MqttVersion version,
    String username,
    Bytes password,
    String remoteAddress,
    String certificateSubject) {}
