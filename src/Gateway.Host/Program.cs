using Gateway.Host;

return Cli.Run(args, Console.Out, Console.Error);
