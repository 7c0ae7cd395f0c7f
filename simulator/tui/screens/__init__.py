"""The practice screens: home (library), briefing, conversation and debrief."""
