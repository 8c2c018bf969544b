"""The collection service: cases for invoices ready for collection, their Dutch collection
costs and statutory interest, payments allocated by art. 6:44 BW, and the handoff to bailiffs."""
