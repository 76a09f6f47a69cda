"""The practice world: a demo company, and (later) local stand-ins for the systems we connect."""
