"""Development tools: evaluation, comparison, benchmark, fuzzing, audit, dataset builders.

Never imported by bot/."""
