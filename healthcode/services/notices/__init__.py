"""Notifications for every role: the events that create them (``events``), the
reminders the jobs send (``reminders``), the notification centre (``centre``), what
each says (``texts``) and the outbox that hands them to the outbound channel after
the commit (``outbox``)."""
