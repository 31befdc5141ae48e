using System.Text.Json.Serialization;

namespace Gateway.Telemetry.Fleet;

[JsonSerializable(typeof(AlarmMessage))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class FleetJson : JsonSerializerContext;
