"""The work brief (工作简报): articles, live figures, official PDF and DOCX."""
