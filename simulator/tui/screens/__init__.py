"""The screens: home (library), briefing, conversation, debrief; history; exam and its
result; the problems of a previewed scenario file."""
