namespace QwenFastProxy.Simulator; internal static class Placeholder { }
