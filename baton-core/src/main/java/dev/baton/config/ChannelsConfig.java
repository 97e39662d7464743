package dev.baton.config;

/** {@code channels:} (owned by the gateway work; extend here). */
public record ChannelsConfig(@Doc("The HTTP message API.") ApiChannelConfig api) {

  public static ChannelsConfig defaults() {
    return new ChannelsConfig(ApiChannelConfig.defaults());
  }

  /** {@code channels.api:} */
  public record ApiChannelConfig(@Doc("Whether `POST /v1/messages` is served.") boolean enabled) {
    public static ApiChannelConfig defaults() {
      return new ApiChannelConfig(true);
    }
  }
}
