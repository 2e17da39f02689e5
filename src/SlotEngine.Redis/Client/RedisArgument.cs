// The store builds script keys and arguments as StackExchange.Redis values (strings, integers, bytes convert implicitly).
global using RedisArgument = StackExchange.Redis.RedisValue;
