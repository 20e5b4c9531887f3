"""Local development stack: the AWS resources of infra/ applied to the local emulator."""
