"""Health pass and health code platform (Shandong 电子健康通行卡, Binzhou 健康码)."""
