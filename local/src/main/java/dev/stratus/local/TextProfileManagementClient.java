package dev.stratus.local;

import dev.stratus.functions.TextProfile;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.DeleteConnectionRequest;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.DeleteConnectionResponse;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GetConnectionRequest;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GetConnectionResponse;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.PostToConnectionRequest;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.PostToConnectionResponse;

/**
 * The bridge's Management API client for API Gateway connections: the bridge's remote delivery
 * posts raw MQTT packets (what a bridge task's internal endpoint takes), while an API Gateway
 * connection speaks the text profile, so each posted message becomes the base64 of its packets
 * (docs/text-profile.md). Everything else is passed through unchanged.
 */
final class TextProfileManagementClient implements ApiGatewayManagementApiClient {
  private final ApiGatewayManagementApiClient delegate;

  TextProfileManagementClient(ApiGatewayManagementApiClient delegate) {
    this.delegate = delegate;
  }

  @Override
  public PostToConnectionResponse postToConnection(PostToConnectionRequest request) {
    String text = TextProfile.encode(request.data().asByteArrayUnsafe());
    return delegate.postToConnection(
        request.toBuilder().data(SdkBytes.fromUtf8String(text)).build());
  }

  @Override
  public DeleteConnectionResponse deleteConnection(DeleteConnectionRequest request) {
    return delegate.deleteConnection(request);
  }

  @Override
  public GetConnectionResponse getConnection(GetConnectionRequest request) {
    return delegate.getConnection(request);
  }

  @Override
  public String serviceName() {
    return delegate.serviceName();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
