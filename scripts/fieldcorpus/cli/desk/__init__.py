"""The review desk: a local web app (loopback only, a token per start) over the restricted zone,
where the data manager settles review entries and residual-gate hits (`fieldcorpus review
--serve`). Its decisions are made by fieldcorpus.deid.decisions."""
