namespace QwenFastProxy; internal static class Placeholder { }
